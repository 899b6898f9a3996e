"""Read models fed by the main table's stream: live account updates pushed to WebSocket subscribers and kept
for resuming, leaderboards (risk-state balance changes, pushed on leaderboard channels) and the audit entries
of automated enforcement (new breach evidence). A DLQ takes batches that failed 5 times."""

from __future__ import annotations

from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.config import StageConfig
from infra.constructs.data import READ_ACTIONS, WRITE_ACTIONS, Data
from infra.constructs.functions import FunctionFactory, FunctionSpec
from infra.constructs.queues import new_dead_letter_queue
from infra.constructs.realtime import Realtime


class ReadModels(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        config: StageConfig,
        data: Data,
        realtime: Realtime,
        functions: FunctionFactory,
    ) -> None:
        super().__init__(scope, construct_id)
        self.function = functions.create(
            self,
            FunctionSpec(
                "stream_projections",
                "Table stream: live account updates, leaderboard standings, audit entries of breaches",
                60,
                512,
                {
                    "TABLE_NAME": data.table.table_name,
                    "CONNECTIONS_TABLE_NAME": data.connections.table_name,
                    "REALTIME_TABLE_NAME": data.realtime.table_name,
                    **realtime.management_environment(config),
                },
            ),
        )
        dlq = new_dead_letter_queue(
            self, "ProjectionsDlq", config, "stream-projections", "stream batches projections failed 5 times"
        )
        self.dead_letter_queues: dict[str, sqs.Queue] = {"stream-projections": dlq}
        self.function.add_event_source(
            sources.DynamoEventSource(
                data.table,
                starting_position=lambda_.StartingPosition.TRIM_HORIZON,
                batch_size=100,
                # Up to 4 batches of one shard at once; records of one account (one partition key) stay in
                # order, so live updates of busy accounts do not wait behind each other.
                parallelization_factor=4,
                bisect_batch_on_error=True,
                retry_attempts=5,
                report_batch_item_failures=True,
                on_failure=sources.SqsDlq(dlq),
                filters=[
                    lambda_.FilterCriteria.filter({"dynamodb": {"Keys": {"sk": {"S": ["RISK"]}}}}),
                    lambda_.FilterCriteria.filter(
                        {
                            "eventName": ["INSERT"],
                            "dynamodb": {"Keys": {"sk": {"S": lambda_.FilterRule.begins_with("BREACH#")}}},
                        }
                    ),
                ],
            )
        )
        # leaderboard standings (LEADERBOARD#); the live feeds are in the realtime table, audit in its own
        data.grant_writes_to(self.function, "LEADERBOARD#*")
        data.grant_audit(self.function, append=True)  # audit entries of automated enforcement
        data.grant_realtime(self.function, *READ_ACTIONS, *WRITE_ACTIONS)
        data.grant_connections(self.function, "dynamodb:GetItem", "dynamodb:DeleteItem")
        realtime.grant_post_to_connections(self.function)
