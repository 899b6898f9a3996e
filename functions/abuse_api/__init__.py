"""abuse_api: staff review of abuse flags (GET /v1/staff/flags, .../{id}, POST .../{id}/decision)."""
