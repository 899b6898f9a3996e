"""Purchases: the order API, the payment providers' webhooks, provisioning on the trading platform and the
daily reconciliation.

    POST /v1/orders ─► orders_api ─► Stripe Checkout / Coinbase Commerce
    POST /v1/webhooks/stripe | /v1/webhooks/crypto/{provider} ─► *_webhook ─► bus: purchase.*
    bus rule purchase.completed|refunded|disputed|dispute_closed ─► SQS (+DLQ) ─► provisioning ─► Match-Trader
    daily rule ─► reconciliation (+DLQ) ─► bus: firm.alert
    daily rule ─► personal_data_retention (+DLQ): orders past the period lose the buyer's e-mail and IP

Provider settings come from CDK context (`stripe_api_base`, `coinbase_api_base`, `match_trader_base_url`,
`checkout_success_url`, `checkout_cancel_url`, `platform_requests_per_minute`), so that the local cloud points
the adapters at the fakes; credentials stay in Secrets Manager and are read at run time.
"""

from __future__ import annotations

from aws_cdk import CfnResource, Duration
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_sqs as sqs
from constructs import Construct
from propdesk.adapters.geolite2 import SAMPLE, GeoLite2Countries
from propdesk.wiring.purchases import country_rules

from infra.config import StageConfig
from infra.constructs.api import Api
from infra.constructs.data import Data
from infra.constructs.functions import FunctionFactory, FunctionSpec
from infra.constructs.publishing import grant_publish
from infra.constructs.queues import new_dead_letter_queue, new_work_queue
from infra.constructs.secrets import ProviderSecrets

EVENT_SOURCE = "propdesk"
PROVISIONING_DETAIL_TYPES = (
    "purchase.completed",
    "purchase.refunded",
    "purchase.disputed",
    "purchase.dispute_closed",
)
PROVISIONING_TIMEOUT_SECONDS = 60
# Match-Trader allows 500 requests a minute per token: two instances at 250 each never exceed it.
PROVISIONING_CONCURRENCY = 2
RETENTION_DAYS_DEFAULT = 365  # days an order keeps the buyer's e-mail and IP (docs/security.md)
CONTEXT_DEFAULTS = {
    "stripe_api_base": "https://api.stripe.com",
    "coinbase_api_base": "https://api.commerce.coinbase.com",
    "match_trader_base_url": "",  # empty: the base URL in the match-trader secret
    "match_trader_server": "MatchTrader",
    "platform_requests_per_minute": "500",  # the platform's limit per token, shared by the instances
    "checkout_success_url": "https://app.example.com/purchase/success",
    "checkout_cancel_url": "https://app.example.com/purchase/cancel",
}


class Purchases(Construct):
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
        setting = {
            name: str(self.node.try_get_context(name) or default)
            for name, default in CONTEXT_DEFAULTS.items()
        }
        stripe, coinbase = secrets.secrets["stripe"], secrets.secrets["coinbase-commerce"]
        self._ip_countries_layer: lambda_.LayerVersion | None = None
        base = {"TABLE_NAME": data.table.table_name, "EVENT_BUS_NAME": bus.event_bus_name}
        payments = {
            **base,
            "STRIPE_SECRET_ARN": stripe.secret_arn,
            "STRIPE_API_BASE": setting["stripe_api_base"],
            "COINBASE_SECRET_ARN": coinbase.secret_arn,
            "COINBASE_API_BASE": setting["coinbase_api_base"],
        }

        orders_api = functions.create(
            self,
            FunctionSpec(
                "orders_api",
                "POST/GET /v1/orders: price, fraud-check and place orders with a payment page",
                20,
                512,
                {
                    **payments,
                    "CHECKOUT_SUCCESS_URL": setting["checkout_success_url"],
                    "CHECKOUT_CANCEL_URL": setting["checkout_cancel_url"],
                    **self._ip_countries(config),
                },
            ),
        )
        if self._ip_countries_layer is not None:
            orders_api.add_layers(self._ip_countries_layer)
        # The firm's rules on a paying card's issuing country ("KP=block,NG=flag"), checked here so that a
        # typo fails the synthesis rather than letting a blocked country through.
        fraud_countries = str(self.node.try_get_context("fraud_countries") or "")
        country_rules(fraud_countries)
        stripe_webhook = functions.create(
            self,
            FunctionSpec(
                "stripe_webhook",
                "POST /v1/webhooks/stripe: signed Stripe events, once per event id",
                20,
                512,
                {**payments, **({"FRAUD_COUNTRIES": fraud_countries} if fraud_countries else {})},
            ),
        )
        crypto_webhook = functions.create(
            self,
            FunctionSpec(
                "crypto_webhook",
                "POST /v1/webhooks/crypto/{provider}: signed crypto-processor callbacks, once per event id",
                20,
                256,
                payments,
            ),
        )
        # Orders (ORDER#), their payment links (PAYMENT#) and a discount code's uses (CATALOGUE, in the
        # order's transaction); checkout's velocity counters (VELOCITY#) and rate windows (RATE#); a webhook's
        # receipt (WEBHOOK#) and a card's velocity. Identity signals: abuse_signals.py.
        data.grant_writes_to(orders_api, "ORDER#*", "PAYMENT#*", "CATALOGUE", "VELOCITY#*", "RATE#*")
        data.grant_writes_to(stripe_webhook, "ORDER#*", "PAYMENT#*", "CATALOGUE", "WEBHOOK#*", "VELOCITY#*")
        data.grant_writes_to(crypto_webhook, "ORDER#*", "PAYMENT#*", "CATALOGUE", "WEBHOOK#*")
        for function in (orders_api, stripe_webhook, crypto_webhook):
            grant_publish(bus, function)
        # orders_api appends the audit entry of a staff refund request in the order's transaction
        data.grant_audit(orders_api, append=True)
        stripe.grant_read(orders_api)
        stripe.grant_read(stripe_webhook)
        coinbase.grant_read(orders_api)
        coinbase.grant_read(crypto_webhook)
        api.add_routes(
            {"orders_api": orders_api, "stripe_webhook": stripe_webhook, "crypto_webhook": crypto_webhook}
        )

        self.provisioning = self._provisioning(config, data, bus, secrets, functions, setting, base)
        self.reconciliation = self._reconciliation(config, data, bus, functions, payments)
        stripe.grant_read(self.reconciliation)
        coinbase.grant_read(self.reconciliation)
        self.personal_data_retention = self._personal_data_retention(config, data, functions)

    def _provisioning(
        self,
        config: StageConfig,
        data: Data,
        bus: events.IEventBus,
        secrets: ProviderSecrets,
        functions: FunctionFactory,
        setting: dict[str, str],
        base: dict[str, str],
    ) -> lambda_.Function:
        platform = secrets.secrets["match-trader"]
        environment = {
            **base,
            "MATCH_TRADER_SECRET_ARN": platform.secret_arn,
            "MATCH_TRADER_SERVER": setting["match_trader_server"],
            "PLATFORM_REQUESTS_PER_MINUTE": str(
                int(setting["platform_requests_per_minute"]) // PROVISIONING_CONCURRENCY
            ),
        }
        if setting["match_trader_base_url"]:
            environment["MATCH_TRADER_BASE_URL"] = setting["match_trader_base_url"]
        function = functions.create(
            self,
            FunctionSpec(
                "provisioning",
                "purchase.* events: opens, disables, suspends or reinstates trading accounts on the platform",
                PROVISIONING_TIMEOUT_SECONDS,
                512,
                environment,
            ),
        )
        assert isinstance(function.node.default_child, CfnResource)
        function.node.default_child.add_property_override(
            "ReservedConcurrentExecutions", PROVISIONING_CONCURRENCY
        )
        undeliverable = self._dead_letter_queue(
            config,
            "provisioning-delivery",
            "purchase events EventBridge could not put on the provisioning queue",
        )
        failed = self._dead_letter_queue(
            config,
            "provisioning",
            "purchase events provisioning failed 5 times (a paid order without an account)",
        )
        queue = new_work_queue(
            self,
            "ProvisioningQueue",
            config,
            "provisioning",
            Duration.seconds(6 * PROVISIONING_TIMEOUT_SECONDS),
            failed,
        )
        events.Rule(
            self,
            "ProvisioningRule",
            rule_name=config.resource_name("provisioning"),
            description="propdesk: paid, refunded and disputed purchases reach the trading platform",
            event_bus=bus,
            event_pattern=events.EventPattern(
                source=[EVENT_SOURCE], detail_type=list(PROVISIONING_DETAIL_TYPES)
            ),
            targets=[
                targets.SqsQueue(
                    queue, dead_letter_queue=undeliverable, retry_attempts=8, max_event_age=Duration.hours(24)
                )
            ],
        )
        function.add_event_source(
            sources.SqsEventSource(
                queue,
                batch_size=5,
                report_batch_item_failures=True,
                max_concurrency=PROVISIONING_CONCURRENCY,
            )
        )
        # the order (and its discount code's uses), the account (its status, login, reset group under SYSTEM),
        # the platform's circuit (SYSTEM), the login e-mail's mark (MAIL#), a dispute's review flag (TRADER#)
        data.grant_writes_to(function, "ORDER#*", "CATALOGUE", "ACCOUNT#*", "SYSTEM", "MAIL#*", "TRADER#*")
        grant_publish(bus, function)
        platform.grant_read(function)
        return function

    def _reconciliation(
        self,
        config: StageConfig,
        data: Data,
        bus: events.IEventBus,
        functions: FunctionFactory,
        payments: dict[str, str],
    ) -> lambda_.Function:
        function = functions.create(
            self,
            FunctionSpec(
                "reconciliation",
                "Daily: the providers' payments of the last day against the orders; mismatches alerted",
                120,
                512,
                payments,
            ),
        )
        dlq = self._dead_letter_queue(
            config, "reconciliation", "reconciliation runs that failed after retries"
        )
        events.Rule(
            self,
            "ReconciliationSchedule",
            rule_name=config.resource_name("reconciliation"),
            description="propdesk: daily reconciliation of provider payments with orders (00:15 UTC)",
            schedule=events.Schedule.cron(minute="15", hour="0"),
            targets=[
                targets.LambdaFunction(
                    function, dead_letter_queue=dlq, retry_attempts=2, max_event_age=Duration.hours(2)
                )
            ],
        )
        data.grant_table(function)
        grant_publish(bus, function)
        return function

    def _personal_data_retention(
        self, config: StageConfig, data: Data, functions: FunctionFactory
    ) -> lambda_.Function:
        retention = {
            "TABLE_NAME": data.table.table_name,
            "PERSONAL_DATA_RETENTION_DAYS": str(
                self.node.try_get_context("personal_data_retention_days") or RETENTION_DAYS_DEFAULT
            ),
        }
        function = functions.create(
            self,
            FunctionSpec(
                "personal_data_retention",
                "Daily: orders placed more than the retention period ago lose the buyer's e-mail and IP",
                120,
                256,
                retention,
            ),
        )
        dlq = self._dead_letter_queue(
            config, "personal-data-retention", "personal data retention runs that failed after retries"
        )
        events.Rule(
            self,
            "PersonalDataRetentionSchedule",
            rule_name=config.resource_name("personal-data-retention"),
            description="propdesk: daily removal of e-mail and IP from orders past the retention (02:30 UTC)",
            schedule=events.Schedule.cron(minute="30", hour="2"),
            targets=[
                targets.LambdaFunction(
                    function, dead_letter_queue=dlq, retry_attempts=2, max_event_age=Duration.hours(6)
                )
            ],
        )
        data.grant_writes_to(function, "ORDER#*")  # strips the buyer's e-mail and IP from old orders
        return function

    def _dead_letter_queue(self, config: StageConfig, name: str, holds: str) -> sqs.Queue:
        construct_id = "".join(part.capitalize() for part in name.split("-")) + "Dlq"
        queue = new_dead_letter_queue(self, construct_id, config, name, holds)
        self.dead_letter_queues[name] = queue
        return queue

    def _ip_countries(self, config: StageConfig) -> dict[str, str]:
        """IP geolocation for checkout (`ip_countries_directory`: a directory with the GeoLite2 Country CSV
        files, shipped to `orders_api` as a layer under /opt; `sample`: the documentation-range sample in the
        package, the local cloud's default). The files are read here too, so a broken database fails the
        synthesis, not the orders."""
        directory = str(
            self.node.try_get_context("ip_countries_directory") or (SAMPLE if config.local else "")
        )
        if not directory:
            return {}
        GeoLite2Countries.from_directory(directory)
        if directory == SAMPLE:
            return {"IP_COUNTRIES_DIRECTORY": SAMPLE}
        self._ip_countries_layer = lambda_.LayerVersion(
            self,
            "IpCountriesLayer",
            code=lambda_.Code.from_asset(directory),
            description="propdesk: the firm's GeoLite2 Country CSV files for checkout's IP country",
        )
        return {"IP_COUNTRIES_DIRECTORY": "/opt"}
