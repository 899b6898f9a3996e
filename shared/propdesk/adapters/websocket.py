"""Pushes messages to WebSocket clients through the API Gateway management API."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from propdesk.adapters.aws import websocket_client

if TYPE_CHECKING:
    from mypy_boto3_apigatewaymanagementapi import ApiGatewayManagementApiClient


class ApiGatewayPusher:
    def __init__(
        self,
        endpoint_url: str,
        client: Callable[[str], ApiGatewayManagementApiClient] = websocket_client,
    ) -> None:
        self._endpoint_url = endpoint_url
        self._client = client

    def push(self, connection_id: str, message: Mapping[str, Any]) -> bool:
        try:
            self._client(self._endpoint_url).post_to_connection(
                ConnectionId=connection_id, Data=json.dumps(message, default=str).encode()
            )
        except ClientError as failure:
            if failure.response.get("Error", {}).get("Code") == "GoneException":
                return False
            raise
        return True
