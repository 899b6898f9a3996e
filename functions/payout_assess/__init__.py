"""payout_assess: the payout workflow re-checks every payout rule."""
