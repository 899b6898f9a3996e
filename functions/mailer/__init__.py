"""mailer: e-mail-worthy domain events (via SQS) → one rendered e-mail each, through SES, once per event."""
