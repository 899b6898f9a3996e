"""payout_kyc_gate: the payout workflow's KYC gate."""
