"""Enforcement on the trading platforms: the platform commands the risk engine asks for reach each account's
platform, and the firm's platform connections.

    bus rule platform.disable|enable|pause|resume_requested ─► SQS (+DLQ) ─► platform_commands ─► platforms
    daily rule ─► platform_drift (+DLQ): access at the platform vs wanted ─► bus: the command | firm.alert

Connections come from CDK context: Match-Trader is always on (its secret is the provider secret
`propdesk/{stage}/match-trader`; `match_trader_server`, `match_trader_base_url` as for provisioning), and
`platform_connections` (JSON, e.g. `{"mt5": {"server": "Firm-MT5"}}`) turns on others, each with a secret
`propdesk/{stage}/{platform}` created here for ops to fill in (fields: propdesk.wiring.platforms).
"""

from __future__ import annotations

import json
from typing import Any

from aws_cdk import CfnResource, Duration, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.config import StageConfig
from infra.constructs.data import Data
from infra.constructs.functions import FunctionFactory, FunctionSpec, removal_policy
from infra.constructs.publishing import grant_publish
from infra.constructs.queues import new_dead_letter_queue, new_work_queue
from infra.constructs.secrets import PLACEHOLDER, ProviderSecrets
from infra.nag import acknowledge

EVENT_SOURCE = "propdesk"
COMMAND_DETAIL_TYPES = (
    "platform.disable_requested",
    "platform.enable_requested",
    "platform.pause_requested",
    "platform.resume_requested",
)
COMMANDS_TIMEOUT_SECONDS = 60  # a liquidation: read-only, read positions, close all, disable, with retries
COMMANDS_CONCURRENCY = 2
# This function's share of each platform's request budget per instance: half of Match-Trader's 500 a minute
# per token for the two instances (provisioning shares the token). A liquidating disable takes about ten
# requests, so a burst of failures is bounded by this budget (benchmarks/enforcement_bench.py).
COMMANDS_REQUESTS_PER_MINUTE = 125
ACCOUNT_LEASE_SECONDS = 2 * COMMANDS_TIMEOUT_SECONDS
DRIFT_TIMEOUT_SECONDS = 120
DRIFT_SCHEDULE = {"minute": "30", "hour": "3"}  # daily, 03:30 UTC: after the night's day boundaries
PLATFORM_SECRET_FIELDS = {
    "ctrader": ("webservices_url", "manager_token", "open_api_url", "client_id", "client_secret",
                "access_token", "refresh_token"),
    "tradelocker": ("trading_url", "brand_url", "brand_api_key", "email", "password", "server"),
    "mt5": ("base_url", "key_id", "secret"),
    "dxtrade": ("base_url", "api_key"),
}  # fmt: skip


class PlatformEnforcement(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        config: StageConfig,
        data: Data,
        bus: events.IEventBus,
        secrets: ProviderSecrets,
        functions: FunctionFactory,
    ) -> None:
        super().__init__(scope, construct_id)
        self.dead_letter_queues: dict[str, sqs.Queue] = {}
        self.secrets = self._connection_secrets(config, secrets)
        self.connections = self._connections()
        base = {"TABLE_NAME": data.table.table_name, "EVENT_BUS_NAME": bus.event_bus_name}
        self.commands = self._commands(config, data, bus, functions, base)
        self.drift = self._drift(config, data, bus, functions, base)

    # ---- connections ----
    def _connection_secrets(
        self, config: StageConfig, provider_secrets: ProviderSecrets
    ) -> dict[str, secretsmanager.ISecret]:
        chosen: dict[str, Any] = json.loads(str(self.node.try_get_context("platform_connections") or "{}"))
        found: dict[str, secretsmanager.ISecret] = {"match-trader": provider_secrets.secrets["match-trader"]}
        for platform in sorted(chosen):
            if platform == "match-trader":
                continue
            fields = PLATFORM_SECRET_FIELDS[platform]
            secret = secretsmanager.Secret(
                self,
                "".join(part.capitalize() for part in platform.split("-")) + "Secret",
                secret_name=f"propdesk/{config.stage}/{platform}",
                description=f"propdesk: {platform} connection (JSON: {', '.join(fields)})",
                generate_secret_string=secretsmanager.SecretStringGenerator(
                    secret_string_template=json.dumps(dict.fromkeys(fields[:-1], PLACEHOLDER)),
                    generate_string_key=fields[-1],
                    exclude_punctuation=True,
                ),
                removal_policy=removal_policy(config),
            )
            acknowledge(
                secret,
                "SMG4",
                f"{platform} issues these credentials; ops rotate them in the platform's back office and "
                "write them here, so there is no rotation Lambda to run.",
            )
            found[platform] = secret
        self._chosen = chosen
        return found

    def _connections(self) -> dict[str, dict[str, Any]]:
        """`PLATFORM_CONNECTIONS` for the functions (the secret ARNs are tokens until deploy)."""
        match_trader = {
            "server": str(self.node.try_get_context("match_trader_server") or "MatchTrader"),
            "base_url": str(self.node.try_get_context("match_trader_base_url") or ""),
        }
        connections = {"match-trader": match_trader, **self._chosen}
        return {
            platform: {
                "secret_arn": self.secrets[platform].secret_arn,
                "server": str(settings.get("server") or platform),
                "base_url": str(settings.get("base_url") or ""),
                "requests_per_minute": COMMANDS_REQUESTS_PER_MINUTE,
                "options": {str(k): str(v) for k, v in (settings.get("options") or {}).items()},
            }
            for platform, settings in connections.items()
        }

    def connections_environment(self) -> str:
        return Stack.of(self).to_json_string(self.connections)

    def grant_connections(self, function: lambda_.IFunction) -> None:
        for secret in self.secrets.values():
            secret.grant_read(function)

    # ---- platform_commands ----
    def _commands(
        self,
        config: StageConfig,
        data: Data,
        bus: events.IEventBus,
        functions: FunctionFactory,
        base: dict[str, str],
    ) -> lambda_.Function:
        failed = self._dead_letter_queue(
            config, "platform-commands", "platform commands that failed 5 deliveries (account not enforced)"
        )
        undeliverable = self._dead_letter_queue(
            config,
            "platform-commands-delivery",
            "platform commands EventBridge could not put on the platform-commands queue",
        )
        queue = new_work_queue(
            self,
            "PlatformCommandsQueue",
            config,
            "platform-commands",
            Duration.seconds(6 * COMMANDS_TIMEOUT_SECONDS),
            failed,
        )
        function = functions.create(
            self,
            FunctionSpec(
                "platform_commands",
                "platform.*_requested: liquidates, disables, pauses or enables accounts on their platform",
                COMMANDS_TIMEOUT_SECONDS,
                512,
                {
                    **base,
                    "PLATFORM_CONNECTIONS": self.connections_environment(),
                    "COMMANDS_QUEUE_URL": queue.queue_url,
                    "ACCOUNT_LEASE_SECONDS": str(ACCOUNT_LEASE_SECONDS),
                },
            ),
        )
        assert isinstance(function.node.default_child, CfnResource)
        function.node.default_child.add_property_override(
            "ReservedConcurrentExecutions", COMMANDS_CONCURRENCY
        )
        events.Rule(
            self,
            "PlatformCommandsRule",
            rule_name=config.resource_name("platform-commands"),
            description="propdesk: disable, enable, pause and resume requests reach the trading platform",
            event_bus=bus,
            event_pattern=events.EventPattern(source=[EVENT_SOURCE], detail_type=list(COMMAND_DETAIL_TYPES)),
            targets=[
                targets.SqsQueue(
                    queue, dead_letter_queue=undeliverable, retry_attempts=8, max_event_age=Duration.hours(24)
                )
            ],
        )
        # The event source grants receive, delete and change visibility (the backoff) on this queue only.
        function.add_event_source(
            sources.SqsEventSource(
                queue,
                batch_size=5,
                report_batch_item_failures=True,
                max_concurrency=COMMANDS_CONCURRENCY,
            )
        )
        # each account's platform access state (ACCOUNT#), the platforms' circuits (SYSTEM)
        data.grant_writes_to(function, "ACCOUNT#*", "SYSTEM")
        data.grant_audit(function, append=True)  # appends each command's audit entry
        grant_publish(bus, function, "platform_commands")
        self.grant_connections(function)
        return function

    # ---- platform_drift ----
    def _drift(
        self,
        config: StageConfig,
        data: Data,
        bus: events.IEventBus,
        functions: FunctionFactory,
        base: dict[str, str],
    ) -> lambda_.Function:
        function = functions.create(
            self,
            FunctionSpec(
                "platform_drift",
                "Daily: each account's access at its platform against the one wanted; drift re-commanded",
                DRIFT_TIMEOUT_SECONDS,
                512,
                {**base, "PLATFORM_CONNECTIONS": self.connections_environment()},
            ),
        )
        dlq = self._dead_letter_queue(config, "platform-drift", "drift-check runs that failed after retries")
        events.Rule(
            self,
            "PlatformDriftSchedule",
            rule_name=config.resource_name("platform-drift"),
            description="propdesk: daily check of every account's access at its trading platform (03:30 UTC)",
            schedule=events.Schedule.cron(**DRIFT_SCHEDULE),
            targets=[
                targets.LambdaFunction(
                    function, dead_letter_queue=dlq, retry_attempts=2, max_event_age=Duration.hours(2)
                )
            ],
        )
        # reads accounts and access states; writes only the platforms' shared circuits (SYSTEM / BREAKER#...),
        # which its platform calls go through (a failure counted, a recovered circuit closed)
        data.grant_writes_to(function, "SYSTEM")
        grant_publish(bus, function, "platform_drift")
        self.grant_connections(function)
        return function

    def _dead_letter_queue(self, config: StageConfig, name: str, holds: str) -> sqs.Queue:
        construct_id = "".join(part.capitalize() for part in name.split("-")) + "Dlq"
        queue = new_dead_letter_queue(self, construct_id, config, name, holds)
        self.dead_letter_queues[name] = queue
        return queue
