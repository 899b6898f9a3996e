"""boto3 clients, created on first use and reused for the life of the execution environment.

boto3 is imported here lazily: a function that never calls AWS outside DynamoDB never loads it for that.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_apigatewaymanagementapi import ApiGatewayManagementApiClient
    from mypy_boto3_events import EventBridgeClient
    from mypy_boto3_secretsmanager import SecretsManagerClient
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_stepfunctions import SFNClient


@functools.cache
def _client(service: str, endpoint_url: str | None = None) -> Any:
    import boto3

    return boto3.session.Session().client(service, endpoint_url=endpoint_url)  # type: ignore[call-overload]


def events_client() -> EventBridgeClient:
    client: EventBridgeClient = _client("events")
    return client


def stepfunctions_client() -> SFNClient:
    client: SFNClient = _client("stepfunctions")
    return client


def secrets_client() -> SecretsManagerClient:
    client: SecretsManagerClient = _client("secretsmanager")
    return client


def websocket_client(endpoint_url: str) -> ApiGatewayManagementApiClient:
    client: ApiGatewayManagementApiClient = _client("apigatewaymanagementapi", endpoint_url)
    return client


def sqs_client() -> SQSClient:
    client: SQSClient = _client("sqs")
    return client
