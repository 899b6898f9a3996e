"""The tables: the firm's main table (streamed to the risk engine), WebSocket connections, live-update
subscriptions and feeds, and the audit log (append-only, see `grant_audit`). Idempotency is the records'
own: every write a retry could repeat is conditional on what it writes (docs/data-model.md, "Idempotency"),
so there is no separate idempotency table.

Keys and access patterns: docs/data-model.md.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from constructs import Construct
from propdesk.data.schema import AUDIT_TABLE, MAIN_TABLE

from infra.config import StageConfig
from infra.constructs.functions import removal_policy
from infra.nag import acknowledge

STRING = dynamodb.AttributeType.STRING

# Item-level access only: no Scan (no request path scans) and no table management.
READ_ACTIONS = ("dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:DescribeTable")
WRITE_ACTIONS = (
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:ConditionCheckItem",
    "dynamodb:DescribeTable",
)
# Item writes with a `dynamodb:LeadingKeys` condition (`Data.grant_writes_to`); transactions are authorised
# item by item (Put, Update, Delete, ConditionCheck), so they need no action of their own.
ITEM_WRITE_ACTIONS = tuple(action for action in WRITE_ACTIONS if action != "dynamodb:DescribeTable")
# What DynamoDB needs from the caller to use a table under a customer-managed key, without wildcard actions.
KEY_READ_ACTIONS = ("kms:Decrypt", "kms:DescribeKey")
KEY_WRITE_ACTIONS = (*KEY_READ_ACTIONS, "kms:Encrypt", "kms:GenerateDataKey")

MAIN_INDEXES = tuple(index.name for index in MAIN_TABLE.global_indexes)  # gsi1, gsi2, outbox
AUDIT_INDEXES = ("gsi1",)  # entries by actor
# What no one may do to the audit table's items, whoever they are (its resource policy denies them): an entry
# is appended once (PutItem, conditional on its not existing) and then only read.
AUDIT_EDITS = (
    "dynamodb:BatchWriteItem",
    "dynamodb:DeleteItem",
    "dynamodb:PartiQLDelete",
    "dynamodb:PartiQLUpdate",
    "dynamodb:UpdateItem",
)
AUDIT_APPEND_ACTIONS = ("dynamodb:PutItem",)
AUDIT_READ_ACTIONS = ("dynamodb:GetItem", "dynamodb:Query")
CONNECTIONS_BY_TRADER = "by_trader"


def _key(name: str) -> dynamodb.Attribute:
    return dynamodb.Attribute(name=name, type=STRING)


class Data(Construct):
    def __init__(self, scope: Construct, construct_id: str, config: StageConfig) -> None:
        super().__init__(scope, construct_id)
        self.key = kms.Key(
            self,
            "TableKey",
            alias=f"alias/{config.resource_name('data')}",
            description="propdesk: encrypts the main table (accounts, trades, KYC, payouts)",
            enable_key_rotation=True,
            removal_policy=removal_policy(config),
        )
        self.table = dynamodb.Table(
            self,
            "PropdeskTable",
            partition_key=_key("pk"),
            sort_key=_key("sk"),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            stream=dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED,
            encryption_key=self.key,
            time_to_live_attribute="expires_at",  # rate-limit windows, past leaderboards
            deletion_protection=config.is_prod,
            removal_policy=removal_policy(config),
        )
        for index in MAIN_TABLE.global_indexes:
            projected = index.projected
            self.table.add_global_secondary_index(
                index_name=index.name,
                partition_key=_key(index.partition_key),
                sort_key=_key(index.sort_key or ""),
                projection_type=(
                    dynamodb.ProjectionType.ALL if projected is None else dynamodb.ProjectionType.INCLUDE
                ),
                non_key_attributes=None if projected is None else list(projected),
            )

        self.connections = dynamodb.Table(
            self,
            "ConnectionsTable",
            partition_key=_key("connection_id"),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            time_to_live_attribute="expires_at",
            encryption=dynamodb.TableEncryption.AWS_MANAGED,
            deletion_protection=config.is_prod,
            removal_policy=removal_policy(config),
        )
        self.connections.add_global_secondary_index(
            index_name=CONNECTIONS_BY_TRADER, partition_key=_key("trader_id")
        )
        acknowledge(
            self.connections,
            "DDB3",
            "Open WebSocket connections live for hours and expire by TTL; after a restore clients reconnect.",
        )

        # Live updates: topic subscriptions and each account's recent updates (for resuming), all by TTL.
        self.realtime = dynamodb.Table(
            self,
            "RealtimeTable",
            partition_key=_key("pk"),
            sort_key=_key("sk"),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            time_to_live_attribute="expires_at",
            encryption=dynamodb.TableEncryption.AWS_MANAGED,
            deletion_protection=config.is_prod,
            removal_policy=removal_policy(config),
        )
        acknowledge(
            self.realtime,
            "DDB3",
            "Subscriptions live as long as their connection and updates are kept a day for resuming; after a "
            "restore clients reconnect and reload over REST.",
        )
        self.audit = self._audit_table(config)

    def grant_table(self, grantee: iam.IGrantable, *, write: bool = False, read: bool = True) -> None:
        """Item access to the main table and its indexes (named, not `index/*`), and use of its key."""
        actions = (*(READ_ACTIONS if read else ()), *(WRITE_ACTIONS if write else ()))
        _grant_items(grantee, self.table, MAIN_INDEXES, actions)
        self.key.grant(grantee, *(KEY_WRITE_ACTIONS if write else KEY_READ_ACTIONS))

    def grant_audit(self, function: lambda_.Function, *, append: bool = False, read: bool = False) -> None:
        """The audit log for `function`: `append` is PutItem alone (never Update, Delete or BatchWrite, which
        the table's policy denies to everyone anyway), `read` GetItem and Query (by subject, by actor). The
        function learns the table's name from `AUDIT_TABLE_NAME`."""
        actions = (*(AUDIT_APPEND_ACTIONS if append else ()), *(AUDIT_READ_ACTIONS if read else ()))
        _grant_items(function, self.audit, AUDIT_INDEXES if read else (), actions)
        self.key.grant(function, *(KEY_WRITE_ACTIONS if append else KEY_READ_ACTIONS))
        function.add_environment("AUDIT_TABLE_NAME", self.audit.table_name)

    def _audit_table(self, config: StageConfig) -> dynamodb.Table:
        """The audit log's own table: no TTL (nothing expires), point-in-time recovery, the data key, a
        keys-only stream for the watcher (functions/audit_watch), and a resource policy that denies every
        update and delete of an item to every principal, administrators included."""
        table = dynamodb.Table(
            self,
            "AuditTable",
            partition_key=_key(AUDIT_TABLE.partition_key),
            sort_key=_key(AUDIT_TABLE.sort_key or "sk"),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            stream=dynamodb.StreamViewType.KEYS_ONLY,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED,
            encryption_key=self.key,
            deletion_protection=config.is_prod,
            removal_policy=removal_policy(config),
            resource_policy=iam.PolicyDocument(
                statements=[
                    iam.PolicyStatement(
                        sid="AuditEntriesAreNeverChanged",
                        effect=iam.Effect.DENY,
                        principals=[iam.AnyPrincipal()],
                        actions=sorted(AUDIT_EDITS),
                        resources=["*"],  # this table (a table's own policy cannot name its generated ARN)
                    )
                ]
            ),
        )
        for index in AUDIT_TABLE.global_indexes:
            table.add_global_secondary_index(
                index_name=index.name,
                partition_key=_key(index.partition_key),
                sort_key=_key(index.sort_key or ""),
            )
        return table

    def grant_partition_writes(
        self, grantee: iam.IGrantable, actions: Sequence[str], partitions: Sequence[str]
    ) -> None:
        """Item writes limited to partitions whose key matches one of `partitions` (e.g. `TRADER#*`)."""
        grantee.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(
                actions=sorted(actions),
                resources=[self.table.table_arn],
                conditions={"ForAllValues:StringLike": {"dynamodb:LeadingKeys": list(partitions)}},
            )
        )
        self.key.grant(grantee, *KEY_WRITE_ACTIONS)

    def grant_writes_to(self, grantee: iam.IGrantable, *partitions: str) -> None:
        """Reads of the whole table and its indexes; item writes (`ITEM_WRITE_ACTIONS`) only to partitions
        whose key matches one of `partitions` (`ACCOUNT#*`, `SYSTEM`, ...). See docs/security.md."""
        self.grant_table(grantee)
        self.grant_partition_writes(grantee, ITEM_WRITE_ACTIONS, partitions)

    def grant_connections(self, grantee: iam.IGrantable, *actions: str) -> None:
        """The given item actions on the connections table and its `by_trader` index."""
        _grant_items(grantee, self.connections, (CONNECTIONS_BY_TRADER,), actions)

    def grant_realtime(self, grantee: iam.IGrantable, *actions: str) -> None:
        """The given item actions on the realtime table (subscriptions and feeds)."""
        _grant_items(grantee, self.realtime, (), actions)


def _grant_items(
    grantee: iam.IGrantable, table: dynamodb.ITable, indexes: Sequence[str], actions: Sequence[str]
) -> None:
    iam.Grant.add_to_principal(
        grantee=grantee,
        actions=sorted(set(actions)),
        resource_arns=[table.table_arn, *(f"{table.table_arn}/index/{index}" for index in indexes)],
    )
