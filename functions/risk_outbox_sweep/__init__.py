"""risk_outbox_sweep: every minute, performs the risk outbox effects no step of their account came to."""
