"""firm_alerts: `firm.alert` events (via SQS) → the staff's alert inbox, once per event id."""
