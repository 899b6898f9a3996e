"""kyc_request: the KYC workflow's waiting step; stores the task token until the provider decides."""
