"""SQS queues: dead-letter queues for every asynchronous trigger, and work queues in front of consumers."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.config import StageConfig
from infra.constructs.functions import removal_policy
from infra.nag import acknowledge

DLQ_RETENTION = Duration.days(14)  # the maximum: time to notice the alarm, fix the cause and redrive


def new_dead_letter_queue(
    scope: Construct, construct_id: str, config: StageConfig, name: str, holds: str
) -> sqs.Queue:
    """A DLQ for one trigger; `holds` says what lands in it (shown on the SQS3 acknowledgment)."""
    queue = sqs.Queue(
        scope,
        construct_id,
        queue_name=config.resource_name(f"{name}-dlq"),
        retention_period=DLQ_RETENTION,
        encryption=sqs.QueueEncryption.SQS_MANAGED,
        enforce_ssl=True,
        removal_policy=removal_policy(config),
    )
    acknowledge(queue, "SQS3", f"This queue is itself a dead-letter queue: it holds {holds}.")
    return queue


def new_work_queue(
    scope: Construct, construct_id: str, config: StageConfig, name: str, visibility: Duration, dlq: sqs.IQueue
) -> sqs.Queue:
    """A queue in front of a consumer; a message failing `max_receive_count` times moves to `dlq`."""
    return sqs.Queue(
        scope,
        construct_id,
        queue_name=config.resource_name(name),
        visibility_timeout=visibility,
        encryption=sqs.QueueEncryption.SQS_MANAGED,
        enforce_ssl=True,
        dead_letter_queue=sqs.DeadLetterQueue(queue=dlq, max_receive_count=5),
        removal_policy=removal_policy(config),
    )
