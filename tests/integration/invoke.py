"""Invoking handlers in-process with the sample events: a Lambda context stub and request builders."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from typing import Any

from events import load_event


@dataclass
class LambdaContextStub:
    function_name: str = "propdesk-test"
    function_version: str = "$LATEST"
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:propdesk-test"
    memory_limit_in_mb: int = 512
    aws_request_id: str = "3b1e8a52-0000-4000-8000-000000000001"
    log_group_name: str = "/aws/lambda/propdesk-test"
    log_stream_name: str = "2026/11/25/[$LATEST]0123456789abcdef"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def rest_request(
    sample: str,
    *,
    path: str | None = None,
    method: str | None = None,
    query: dict[str, str] | None = None,
    body: str | None = None,
    headers: dict[str, str] | None = None,
    path_parameters: dict[str, str] | None = None,
    claims: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A sample REST proxy request with some parts replaced."""
    event = load_event(f"apigateway/{sample}")
    if path is not None:
        event["path"] = path
        event["requestContext"]["path"] = f"/dev{path}"
    if method is not None:
        event["httpMethod"] = method
        event["requestContext"]["httpMethod"] = method
    if query is not None:
        event["queryStringParameters"] = query
        event["multiValueQueryStringParameters"] = {name: [value] for name, value in query.items()}
    if body is not None:
        event["body"] = body
    if headers:
        for name, value in headers.items():
            event["headers"][name] = value
            event["multiValueHeaders"][name] = [value]
    if path_parameters is not None:
        event["pathParameters"] = path_parameters
    if claims is not None:
        event["requestContext"]["authorizer"] = {"claims": claims}
    return event


def json_of(response: dict[str, Any]) -> Any:
    return json.loads(response["body"])


def stream_event(new_images: list[dict[str, Any]]) -> dict[str, Any]:
    """A DynamoDB stream batch (the sample's record shape) holding INSERT records of these raw images."""
    sample = load_event("dynamodb/trading_event_insert")
    template = sample["Records"][0]
    records = []
    for number, image in enumerate(new_images, start=1):
        record = copy.deepcopy(template)
        record["eventID"] = f"{number:032x}"
        record["dynamodb"]["Keys"] = {"pk": image.get("pk", {"S": "?"}), "sk": image.get("sk", {"S": "?"})}
        record["dynamodb"]["NewImage"] = image
        record["dynamodb"]["SequenceNumber"] = f"{111100000000000000000000 + number}"
        records.append(record)
    return {"Records": records}
