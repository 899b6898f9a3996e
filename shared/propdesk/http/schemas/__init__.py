"""The REST API's request and response models: what the handlers validate and answer, and what the OpenAPI
document (`propdesk.http.openapi`) is generated from. One module per group of routes."""
