"""HTTP edges of the REST functions: one place maps domain errors and bad input to JSON error responses.

Every error body is `{"error": {"code": ..., "message": ..., "field": ...}}`; `field` names the culprit.
"""
