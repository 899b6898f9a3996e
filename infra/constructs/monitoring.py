"""Alarms: any function error, failed workflow run or message in a dead-letter queue notifies the firm's
operators.

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
from infra.constructs.functions import removal_policy

PERIOD = Duration.minutes(1)


class Monitoring(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        config: StageConfig,
        functions: Mapping[str, lambda_.Function],
        dead_letter_queues: Mapping[str, sqs.Queue],
        workflows: Mapping[str, sfn.StateMachine],
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

    def _alarm(self, name: str, metric: cloudwatch.Metric, description: str) -> None:
        alarm = cloudwatch.Alarm(
            self,
            name,
            alarm_name=self._config.resource_name(name),
            metric=metric,
            threshold=1,
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
    ) -> None:
        super().__init__(scope, construct_id, description=f"propdesk {config.stage}: alarms")
        self.monitoring = Monitoring(self, "Alarms", config, functions, dead_letter_queues, workflows)
        self.topic = self.monitoring.topic
