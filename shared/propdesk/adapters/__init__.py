"""Production adapters for the ports (boto3 clients created on first use and reused) and in-memory fakes."""
