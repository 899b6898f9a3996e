"""kyc_decision: the KYC workflow's last step; records the decision and announces it on the bus."""
