"""kyc_webhook: Veriff's signed decision webhook (REST `POST /v1/webhooks/veriff`) resumes the workflow."""
