"""alerts_api: `GET /v1/staff/alerts`, the firm's alerts for staff (REST, Cognito; `read_alerts`)."""
