"""Key schemas of the tables as plain data, shared by the data layer, the DynamoDB Local fixture and CDK.

No AWS imports here: `infra/` reads these names, tests turn them into `CreateTable` calls.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class IndexDefinition:
    name: str
    partition_key: str
    sort_key: str | None = None
    # None: every attribute projected (ALL); a tuple: the keys and these attributes only (INCLUDE)
    projected: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class TableDefinition:
    logical_name: str
    partition_key: str
    sort_key: str | None = None
    global_indexes: tuple[IndexDefinition, ...] = field(default=())
    ttl_attribute: str | None = None
    stream: bool = False

    def key_attributes(self) -> tuple[str, ...]:
        names = [self.partition_key, *([self.sort_key] if self.sort_key else [])]
        for index in self.global_indexes:
            names.append(index.partition_key)
            if index.sort_key:
                names.append(index.sort_key)
        return tuple(dict.fromkeys(names))


GSI1 = IndexDefinition(name="gsi1", partition_key="gsi1pk", sort_key="gsi1sk")
GSI2 = IndexDefinition(name="gsi2", partition_key="gsi2pk", sort_key="gsi2sk")
# Risk snapshots whose outbox still holds effects (sparse: the keys exist only while it does); the snapshot
# itself is large and rewritten at every event, so only its write time is projected (docs/data-model.md).
OUTBOX_INDEX = IndexDefinition(
    name="outbox", partition_key="outbox_pk", sort_key="outbox_sk", projected=("updated_at",)
)
BY_TRADER = IndexDefinition(name="by_trader", partition_key="trader_id")

MAIN_TABLE = TableDefinition(
    logical_name="PropdeskTable",
    partition_key="pk",
    sort_key="sk",
    global_indexes=(GSI1, GSI2, OUTBOX_INDEX),
    stream=True,
)
CONNECTIONS_TABLE = TableDefinition(
    logical_name="ConnectionsTable",
    partition_key="connection_id",
    global_indexes=(BY_TRADER,),
    ttl_attribute="expires_at",
)
# Live-update plumbing: topic subscriptions (`SUB#{topic}#{shard}` / connection id) and each topic's recent
# updates for resuming (`FEED#{topic}` / zero-padded sequence number), both expiring by TTL.
REALTIME_TABLE = TableDefinition(
    logical_name="RealtimeTable",
    partition_key="pk",
    sort_key="sk",
    ttl_attribute="expires_at",
)
# The audit log, on its own so that storage and IAM can hold it append-only: no TTL (nothing expires), and a
# stream that only a watcher reads (any MODIFY or REMOVE record is an alarm). Keys as the main table's
# (`AUDIT#{subject}` / `ENTRY#...`, by actor on gsi1).
AUDIT_TABLE = TableDefinition(
    logical_name="AuditTable",
    partition_key="pk",
    sort_key="sk",
    global_indexes=(GSI1,),
    stream=True,
)
ALL_TABLES = (MAIN_TABLE, CONNECTIONS_TABLE, REALTIME_TABLE, AUDIT_TABLE)
# The abuse detectors' state (`docs/abuse.md`, "Wiring"): one item per key (`book#acc-1`, `copy#pair#a+b`),
# the item as JSON in `data`, a version `v` for conditional writes, expiring by TTL. Not in the main table:
# its stream would carry every state write. Created by the abuse construct, not with the tables above.
ABUSE_STATE_TABLE = TableDefinition(
    logical_name="AbuseStateTable",
    partition_key="key",
    ttl_attribute="expires_at",
)


def create_table_request(definition: TableDefinition, table_name: str) -> dict[str, Any]:
    """Keyword arguments for boto3's `create_table` (on-demand, each index's projection)."""
    key_schema = [{"AttributeName": definition.partition_key, "KeyType": "HASH"}]
    if definition.sort_key:
        key_schema.append({"AttributeName": definition.sort_key, "KeyType": "RANGE"})
    request: dict[str, Any] = {
        "TableName": table_name,
        "KeySchema": key_schema,
        "AttributeDefinitions": [
            {"AttributeName": name, "AttributeType": "S"} for name in definition.key_attributes()
        ],
        "BillingMode": "PAY_PER_REQUEST",
    }
    if definition.global_indexes:
        request["GlobalSecondaryIndexes"] = [
            {
                "IndexName": index.name,
                "KeySchema": [
                    {"AttributeName": index.partition_key, "KeyType": "HASH"},
                    *([{"AttributeName": index.sort_key, "KeyType": "RANGE"}] if index.sort_key else []),
                ],
                "Projection": _projection(index),
            }
            for index in definition.global_indexes
        ]
    if definition.stream:
        request["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    return request


def _projection(index: IndexDefinition) -> dict[str, Any]:
    if index.projected is None:
        return {"ProjectionType": "ALL"}
    return {"ProjectionType": "INCLUDE", "NonKeyAttributes": list(index.projected)}
