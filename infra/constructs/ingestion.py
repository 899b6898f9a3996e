"""Trusted ingestion: each trading platform's own signing secret for what it pushes, and the reconciliation of
the platforms' balance and equity with ours.

    platform ─signed (its own secret)─► POST /v1/platform/events ─► platform_events (verifies, stores)
    daily rule ─► platform_reconciliation (+DLQ) ─► payout hold (source reconciliation) · bus: firm.alert
    payout workflow ─invoke {"account_id"}─► platform_reconciliation ─► {"outcome", "held", ...}

Signing secrets: `propdesk/{stage}/platform-signing/{platform}` for every platform of the port, JSON
`{"signing_secret": <generated>}` (ops add `previous_signing_secret` while rotating, then remove it). Only
platform_events reads them; they are not the platforms' trading credentials (a leaked signing secret lets
its holder push for that platform's accounts only, and cannot act on the platform).
"""

from __future__ import annotations

import json

from aws_cdk import Duration, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sqs as sqs
from constructs import Construct
from propdesk.platforms.port import PLATFORMS

from infra.config import StageConfig
from infra.constructs.api import Api
from infra.constructs.data import Data
from infra.constructs.functions import FunctionFactory, FunctionSpec, removal_policy
from infra.constructs.publishing import grant_publish
from infra.constructs.queues import new_dead_letter_queue
from infra.constructs.secrets import ProviderSecrets
from infra.nag import acknowledge

RECONCILIATION_TIMEOUT_SECONDS = 120
RECONCILIATION_SCHEDULE = {"minute": "45", "hour": "0"}  # daily, 00:45 UTC
SIGNING_SECRET_FIELD = "signing_secret"  # noqa: S105 - the JSON field's name, not a secret
CONTEXT_DEFAULTS = {
    "match_trader_base_url": "",  # empty: the base URL in the match-trader secret
    "match_trader_server": "MatchTrader",
}


class Ingestion(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        config: StageConfig,
        data: Data,
        bus: events.IEventBus,
        api: Api,
        secrets: ProviderSecrets,
        functions: FunctionFactory,
    ) -> None:
        super().__init__(scope, construct_id)
        self.dead_letter_queues: dict[str, sqs.Queue] = {}
        self.signing_secrets = {platform: self._signing_secret(config, platform) for platform in PLATFORMS}
        arns = {platform: secret.secret_arn for platform, secret in self.signing_secrets.items()}
        self.signing_secret_arns = Stack.of(self).to_json_string(arns)
        api.platform_events.add_environment("PLATFORM_SIGNING_SECRET_ARNS", self.signing_secret_arns)
        for secret in self.signing_secrets.values():
            secret.grant_read(api.platform_events)
        self.reconciliation = self._reconciliation(config, data, bus, secrets, functions)

    def _signing_secret(self, config: StageConfig, platform: str) -> secretsmanager.Secret:
        secret = secretsmanager.Secret(
            self,
            "".join(part.capitalize() for part in platform.split("-")) + "SigningSecret",
            secret_name=f"propdesk/{config.stage}/platform-signing/{platform}",
            description=f"propdesk: the secret {platform} signs its pushed events with (JSON: "
            f"{SIGNING_SECRET_FIELD}, previous_signing_secret while rotating)",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                secret_string_template=json.dumps({}),
                generate_string_key=SIGNING_SECRET_FIELD,
                exclude_punctuation=True,
                password_length=48,
            ),
            removal_policy=removal_policy(config),
        )
        acknowledge(
            secret,
            "SMG4",
            f"The {platform} connector holds the same secret: ops rotate it by writing the new value with "
            "the old one as previous_signing_secret, updating the connector, then removing the old one (both "
            "verify meanwhile), so there is no rotation Lambda to change it behind the connector's back.",
        )
        return secret

    def _reconciliation(
        self,
        config: StageConfig,
        data: Data,
        bus: events.IEventBus,
        secrets: ProviderSecrets,
        functions: FunctionFactory,
    ) -> lambda_.Function:
        setting = {
            name: str(self.node.try_get_context(name) or default)
            for name, default in CONTEXT_DEFAULTS.items()
        }
        match_trader = secrets.secrets["match-trader"]
        environment = {
            "TABLE_NAME": data.table.table_name,
            "EVENT_BUS_NAME": bus.event_bus_name,
            "MATCH_TRADER_SECRET_ARN": match_trader.secret_arn,
            "MATCH_TRADER_SERVER": setting["match_trader_server"],
        }
        if setting["match_trader_base_url"]:
            environment["MATCH_TRADER_BASE_URL"] = setting["match_trader_base_url"]
        function = functions.create(
            self,
            FunctionSpec(
                "platform_reconciliation",
                "Daily and before each payout: the platforms' balance and equity against ours; holds payouts "
                "on a difference, marks stale data",
                RECONCILIATION_TIMEOUT_SECONDS,
                512,
                environment,
            ),
        )
        dlq = new_dead_letter_queue(
            self,
            "PlatformReconciliationDlq",
            config,
            "platform-reconciliation",
            "platform reconciliation runs that failed after retries",
        )
        self.dead_letter_queues["platform-reconciliation"] = dlq
        events.Rule(
            self,
            "PlatformReconciliationSchedule",
            rule_name=config.resource_name("platform-reconciliation"),
            description="propdesk: daily reconciliation of the platforms' balance and equity with ours",
            schedule=events.Schedule.cron(**RECONCILIATION_SCHEDULE),
            targets=[
                targets.LambdaFunction(
                    function, dead_letter_queue=dlq, retry_attempts=2, max_event_age=Duration.hours(2)
                )
            ],
        )
        data.grant_table(function)  # accounts, risk snapshots, latest events, holds
        # its writes: the account's reconciliation hold (HOLD#...) and its latest figures (PLATFORM_FIGURES),
        # and the platform's circuit breaker (SYSTEM / BREAKER#...)
        data.grant_partition_writes(
            function,
            ("dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"),
            ("ACCOUNT#*", "SYSTEM"),
        )
        grant_publish(bus, function, "platform_reconciliation")
        match_trader.grant_read(function)
        return function
