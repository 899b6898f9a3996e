"""accounts_api: a trader's accounts and their risk (REST `GET /v1/accounts`, Cognito authorizer)."""
