"""The audit log's watcher: the audit table's stream, filtered to MODIFY and REMOVE records, triggers
`audit_watch`, which counts each (`AuditEntriesModified`; monitoring alarms on the first). Nothing in propdesk
changes or removes an entry and the table's policy denies it to everyone, so a record here means the
policy was changed or bypassed."""

from __future__ import annotations

from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.config import StageConfig
from infra.constructs.data import Data
from infra.constructs.functions import FunctionFactory, FunctionSpec


class AuditWatch(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        config: StageConfig,
        data: Data,
        functions: FunctionFactory,
        dead_letter_queue: sqs.IQueue,
    ) -> None:
        super().__init__(scope, construct_id)
        self.function = functions.create(
            self,
            FunctionSpec(
                "audit_watch",
                "Audit table stream, MODIFY and REMOVE only: counts every changed or removed audit entry",
                30,
                256,
            ),
        )
        # A failed batch goes to the read models' stream DLQ (alarmed already): the stack is at the limit of
        # 500 resources of CloudFormation; a queue of its own (with its policy and alarm) would cost three.
        dlq = dead_letter_queue
        self.function.add_event_source(
            sources.DynamoEventSource(
                data.audit,
                starting_position=lambda_.StartingPosition.TRIM_HORIZON,
                batch_size=100,
                bisect_batch_on_error=True,
                retry_attempts=5,
                report_batch_item_failures=True,
                on_failure=sources.SqsDlq(dlq),
                filters=[lambda_.FilterCriteria.filter({"eventName": ["MODIFY", "REMOVE"]})],
            )
        )
