"""The firm's alerts (`firm.alert`: a dispute, provisioning stuck, a reconciliation mismatch) reach ops and
staff.

    bus rule firm.alert ─► SNS alarm topic ─► e-mail to the stage's `alarm_email` (ops)
    bus rule firm.alert | abuse.flag_raised ─► SQS (+DLQ) ─► firm_alerts ─► the alert inbox (ALERT#...)
    GET /v1/staff/alerts ─► alerts_api (risk, finance, admin: `read_alerts`)

Ops get them on the alarm topic (infra/constructs/monitoring.py) rather than a topic of their own: the same
people act on both, through the one subscription they confirmed, and the topic's key and policy already
exist; the message's first line says it is a firm alert and how severe, so mail filters can tell them apart.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.config import StageConfig
from infra.constructs.api import Api
from infra.constructs.data import Data
from infra.constructs.functions import FunctionFactory, FunctionSpec
from infra.constructs.queues import new_dead_letter_queue, new_work_queue

EVENT_SOURCE = "propdesk"
ALERT_DETAIL_TYPE = "firm.alert"
FLAG_RAISED_DETAIL_TYPE = "abuse.flag_raised"  # staff's inbox only: risk acts on it in the review queue
ALERT_PARTITIONS = "ALERT#*"
CONSUMER_TIMEOUT_SECONDS = 15


def ops_message() -> events.RuleTargetInput:
    """The e-mail ops receive: severity and subject first, then the message and what it is about (ids)."""
    field = events.EventField.from_path
    return events.RuleTargetInput.from_text(
        f"propdesk firm alert ({field('$.detail.severity')}): {field('$.detail.subject')}. "
        f"{field('$.detail.message')}. Order {field('$.detail.order_id')}, trader "
        f"{field('$.detail.trader_id')}, at {field('$.detail.occurred_at')} (event "
        f"{field('$.detail.event_id')}). Staff see every alert at GET /v1/staff/alerts."
    )


class Alerts(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        config: StageConfig,
        data: Data,
        bus: events.IEventBus,
        api: Api,
        functions: FunctionFactory,
    ) -> None:
        super().__init__(scope, construct_id)
        self._config = config
        self._bus = bus
        self.dead_letter_queues: dict[str, sqs.Queue] = {}
        table = {"TABLE_NAME": data.table.table_name}
        self.consumer = functions.create(
            self,
            FunctionSpec(
                "firm_alerts",
                "firm.alert events: keeps each alert once for staff (GET /v1/staff/alerts)",
                CONSUMER_TIMEOUT_SECONDS,
                256,
                table,
            ),
        )
        self._feed(config, bus, self.consumer)
        data.grant_partition_writes(self.consumer, ("dynamodb:PutItem",), (ALERT_PARTITIONS,))
        self.api = functions.create(
            self,
            FunctionSpec(
                "alerts_api", "GET /v1/staff/alerts: the firm's alerts, newest first (staff)", 10, 256, table
            ),
        )
        data.grant_table(self.api)  # read only
        api.add_routes({"alerts_api": self.api})
        # Created here (not in notify_ops) so that monitoring alarms on its depth like every other DLQ.
        self._ops_undeliverable = self._dead_letter_queue(
            config, "ops-alerts-delivery", "firm alerts EventBridge could not publish to the alarm topic"
        )

    def notify_ops(self, topic: sns.ITopic) -> None:
        """Every firm alert also goes to ops by e-mail, through the alarm topic (the target lets EventBridge
        publish to it and use its key)."""
        events.Rule(
            self,
            "OpsRule",
            rule_name=self._config.resource_name("firm-alerts-ops"),
            description="propdesk: firm alerts are mailed to ops through the alarm topic",
            event_bus=self._bus,
            event_pattern=events.EventPattern(source=[EVENT_SOURCE], detail_type=[ALERT_DETAIL_TYPE]),
            targets=[
                targets.SnsTopic(
                    topic,
                    message=ops_message(),
                    dead_letter_queue=self._ops_undeliverable,
                    retry_attempts=8,
                    max_event_age=Duration.hours(24),
                )
            ],
        )

    def _feed(self, config: StageConfig, bus: events.IEventBus, function: lambda_.Function) -> None:
        undeliverable = self._dead_letter_queue(
            config, "firm-alerts-delivery", "firm alerts EventBridge could not put on the staff queue"
        )
        failed = self._dead_letter_queue(config, "firm-alerts", "firm alerts that failed 5 times to be kept")
        visibility = Duration.seconds(6 * CONSUMER_TIMEOUT_SECONDS)
        queue = new_work_queue(self, "FirmAlertsQueue", config, "firm-alerts", visibility, failed)
        events.Rule(
            self,
            "StaffRule",
            rule_name=config.resource_name("firm-alerts-staff"),
            description="propdesk: firm alerts and abuse flags raised are kept for staff",
            event_bus=bus,
            event_pattern=events.EventPattern(
                source=[EVENT_SOURCE], detail_type=[ALERT_DETAIL_TYPE, FLAG_RAISED_DETAIL_TYPE]
            ),
            targets=[
                targets.SqsQueue(
                    queue, dead_letter_queue=undeliverable, retry_attempts=8, max_event_age=Duration.hours(24)
                )
            ],
        )
        function.add_event_source(
            sources.SqsEventSource(queue, batch_size=10, report_batch_item_failures=True)
        )

    def _dead_letter_queue(self, config: StageConfig, name: str, holds: str) -> sqs.Queue:
        construct_id = "".join(part.capitalize() for part in name.split("-")) + "Dlq"
        queue = new_dead_letter_queue(self, construct_id, config, name, holds)
        self.dead_letter_queues[name] = queue
        return queue
