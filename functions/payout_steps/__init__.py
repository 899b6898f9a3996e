"""payout_steps: every task of the payout workflow's state machine, one use case per step."""
