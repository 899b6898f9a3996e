"""kyc_api: the trader's own KYC case (`GET /v1/me/kyc`) and staff's review queue, decisions and reopening."""
