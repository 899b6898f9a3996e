"""payout_settle: the rail confirmed: paid, the trader told with the statement."""
