"""notifications: domain events (via SQS) → the trader's notification outbox and their open WebSockets."""
