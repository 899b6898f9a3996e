"""payout_approval: automatic approval, or the wait for finance's decision (task token)."""
