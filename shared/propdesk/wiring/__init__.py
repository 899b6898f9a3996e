"""Composition: the production adapters and stores that several functions assemble the same way (boto3, HTTP
clients and secrets, created lazily). A function's own `production_dependencies()` calls into here; domain and
service code never does."""
