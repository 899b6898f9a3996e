"""payout_screen: the payout workflow's abuse screen (payout holds)."""
