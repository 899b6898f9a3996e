"""Production adapters for the ports (boto3 clients created on first use and reused); the in-memory doubles
tests use live in `tests/doubles/`, out of the Lambda assets."""
