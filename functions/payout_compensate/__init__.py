"""payout_compensate: a failure after the withdrawal puts the amount back on the account."""
