"""The one read the migrations share: every key of a table's items that match a filter, page by page (a
filtered Scan: acceptable for a one-off operator task, never on a request path)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

Item = dict[str, Any]  # DynamoDB's typed attribute values, e.g. {"pk": {"S": "TRADER#t-1"}}


def matching_keys(
    client: DynamoDBClient, table: str, condition: str, values: Item, page_size: int
) -> Iterator[Item]:
    """The `pk`/`sk` of every item of `table` matching the filter `condition` (with its `values`)."""
    start: Item | None = None
    while True:
        params: dict[str, Any] = {
            "TableName": table,
            "FilterExpression": condition,
            "ExpressionAttributeValues": values,
            "ProjectionExpression": "pk, sk",
            "Limit": page_size,
        }
        if start is not None:
            params["ExclusiveStartKey"] = start
        page = client.scan(**params)
        yield from page.get("Items", [])
        start = page.get("LastEvaluatedKey")
        if not start:
            return
