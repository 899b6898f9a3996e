"""Domain services: the use cases between handlers and the data layer (risk recalculation, KYC, ...)."""
