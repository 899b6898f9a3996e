"""Alarms: any function error, failed workflow run or message in a dead-letter queue notifies the firm's
operators; so do the failures a function survives on purpose and only counts (a risk record that could not be
recalculated, an account the daily reset could not advance), and a stream read late (its iterator age).

The counted failures are custom metrics the functions emit through Powertools (namespace `propdesk`,
dimension `service` = `propdesk-<function>`): `FAILURE_METRICS` names them, one alarm each.

The alarms live in a nested stack (`MonitoringStack`): one alarm per function, queue and workflow is some
sixty resources, and CloudFormation allows 500 per stack. The nested stack is a leaf: it only reads the
names of what it watches (passed as its parameters) and gives back the alarm topic."""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Duration, NestedStack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from infra.config import StageConfig
from infra.constructs.functions import METRICS_NAMESPACE, removal_policy, service_name

PERIOD = Duration.minutes(1)
# Failures a function reports and goes on (its batch or run succeeds for the rest): alarm name → (function,
# metric it emits, what the operator should know).
FAILURE_METRICS = {
    "risk-records-failed": (
        "risk_recalc",
        "RiskRecordsFailed",
        "a risk record could not be recalculated (it is retried, then parked in the risk-recalc DLQ): the "
        "account's risk may be stale",
    ),
    "reset-accounts-failed": (
        "daily_reset",
        "ResetAccountsFailed",
        "the daily reset could not advance an account (the others went ahead; it is retried on the next "
        "run): its day may not have rolled over",
    ),
    "risk-outbox-settle-failed": (
        "risk_outbox_sweep",
        "RiskOutboxSettleFailed",
        "the risk outbox sweep could not perform an account's pending effects (breach evidence, its status, "
        "the platform disable, account.* events); they stay pending and the next run retries: a failed "
        "account may still be trading",
    ),
    "risk-outbox-overdue": (
        "risk_outbox_sweep",
        "RiskOutboxOverdue",
        "an account's risk effects have been pending for over ten minutes (the sweep keeps failing on them, "
        "or did not run): a failed account may still be trading; see the sweep's log for the account",
    ),
    "abuse-outbox-settle-failed": (
        "abuse_outbox_sweep",
        "AbuseOutboxSettleFailed",
        "the abuse outbox sweep could not carry out a decision's pending effects (payouts denied, accounts "
        "failed and disabled, holds lifted, the traders told); they stay pending and the next run retries",
    ),
    "abuse-outbox-overdue": (
        "abuse_outbox_sweep",
        "AbuseOutboxOverdue",
        "an abuse decision's effects have been pending for over ten minutes (the sweep keeps failing on "
        "them, or did not run): an account failed by review may still be trading; see the sweep's log",
    ),
    "audit-log-modified": (
        "audit_watch",
        "AuditEntriesModified",
        "an audit entry was changed or removed, which the audit table's policy forbids: find who changed "
        "the policy or the entry (CloudTrail) and restore the entry from point-in-time recovery",
    ),
}
# How old the oldest unread stream record may be: a breach found a minute late is already too late.
ITERATOR_AGE_LIMIT = Duration.minutes(1)


class Monitoring(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        config: StageConfig,
        functions: Mapping[str, lambda_.Function],
        dead_letter_queues: Mapping[str, sqs.Queue],
        workflows: Mapping[str, sfn.StateMachine],
        stream_consumers: Mapping[str, lambda_.Function],
    ) -> None:
        super().__init__(scope, construct_id)
        self._config = config
        key = kms.Key(
            self,
            "AlarmTopicKey",
            alias=f"alias/{config.resource_name('alarms')}",
            description="propdesk: encrypts the alarm topic",
            enable_key_rotation=True,
            removal_policy=removal_policy(config),
        )
        # CloudWatch must be able to publish to the encrypted topic.
        key.grant(iam.ServicePrincipal("cloudwatch.amazonaws.com"), "kms:Decrypt", "kms:GenerateDataKey")
        self.topic = sns.Topic(
            self,
            "AlarmTopic",
            topic_name=config.resource_name("alarms"),
            display_name=f"propdesk {config.stage} alarms ({config.firm_name})",
            master_key=key,
            enforce_ssl=True,
        )
        self.topic.add_subscription(subscriptions.EmailSubscription(config.alarm_email))
        self.action = actions.SnsAction(self.topic)

        for name, function in functions.items():
            self._alarm(
                f"{name}-errors",
                function.metric_errors(period=PERIOD, statistic="Sum"),
                f"{name} raised an error (see its log group and traces)",
            )
        for name, queue in dead_letter_queues.items():
            self._alarm(
                f"{name}-dlq-depth",
                queue.metric_approximate_number_of_messages_visible(period=PERIOD, statistic="Maximum"),
                f"a message reached the {name} dead-letter queue: inspect it, fix the cause, redrive",
            )

        for name, workflow in workflows.items():
            self._alarm(
                f"{name}-workflow-failures",
                workflow.metric_failed(period=PERIOD, statistic="Sum"),
                f"a {name} workflow run failed (see its execution history)",
            )

        for name, (function_name, metric_name, description) in FAILURE_METRICS.items():
            self._alarm(
                name,
                cloudwatch.Metric(
                    namespace=METRICS_NAMESPACE,
                    metric_name=metric_name,
                    dimensions_map={"service": service_name(function_name)},
                    period=PERIOD,
                    statistic="Sum",
                ),
                description,
            )
        for name, function in stream_consumers.items():
            self._alarm(
                f"{name}-iterator-age",
                function.metric("IteratorAge", period=PERIOD, statistic="Maximum"),
                f"{name} reads its stream late (the oldest unread record is over "
                f"{ITERATOR_AGE_LIMIT.to_seconds()} s old): look for throttling, errors or a poison record",
                threshold=ITERATOR_AGE_LIMIT.to_milliseconds(),
            )

    def _alarm(self, name: str, metric: cloudwatch.Metric, description: str, threshold: float = 1) -> None:
        alarm = cloudwatch.Alarm(
            self,
            name,
            alarm_name=self._config.resource_name(name),
            metric=metric,
            threshold=threshold,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            alarm_description=f"propdesk: {description}",
        )
        alarm.add_alarm_action(self.action)


class MonitoringStack(NestedStack):
    """The `Monitoring` construct in a nested stack of its own (see the module's docstring)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        config: StageConfig,
        functions: Mapping[str, lambda_.Function],
        dead_letter_queues: Mapping[str, sqs.Queue],
        workflows: Mapping[str, sfn.StateMachine],
        stream_consumers: Mapping[str, lambda_.Function],
    ) -> None:
        super().__init__(scope, construct_id, description=f"propdesk {config.stage}: alarms")
        self.monitoring = Monitoring(
            self, "Alarms", config, functions, dead_letter_queues, workflows, stream_consumers
        )
        self.topic = self.monitoring.topic
