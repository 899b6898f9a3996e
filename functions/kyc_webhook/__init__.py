"""kyc_webhook: the KYC provider's signed webhooks (`POST /v1/webhooks/veriff|sumsub`) move KYC cases."""
