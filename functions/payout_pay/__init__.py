"""payout_pay: asks the rail to pay and waits for its webhook (task token)."""
