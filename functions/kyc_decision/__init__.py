"""kyc_decision: the KYC gate's last steps: expire an overdue case, announce the conclusion."""
