"""payout_withdraw: the payout leaves the account on the trading platform and in the engine."""
