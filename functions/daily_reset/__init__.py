"""daily_reset: every minute, evaluates active accounts at each tz-aware day boundary that passed."""
