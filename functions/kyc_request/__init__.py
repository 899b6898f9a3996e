"""kyc_request: the KYC gate's first steps: open the case with its provider session, park the task token."""
