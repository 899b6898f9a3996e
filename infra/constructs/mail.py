"""E-mail to traders: the firm's SES identity, and the mailer fed by the bus.

    bus rule purchase.completed|account.warning|account.breached|account.passed|account.phase_started|
             account.funded|account.scaled|abuse.flag_decided|kyc.*|payout.*
        ─► SQS (+DLQ) ─► mailer ─► SES SendEmail (from the firm's identity)

Messages are rendered in our code (propdesk.mail); the mailer looks the trader's address up in the user pool
(`AdminGetUser`, this pool only), sends through SES v2 (`ses:SendEmail` on this identity only, from the one
address) and keeps a marker per event and template (`MAIL#*` items only) so a redelivered event is not mailed
twice. Provisioning sends the platform login itself (`let_send`).

Context (cdk.json or `-c`): `mail_from_address` (the sender, e.g. `no-reply@acme.example`), `mail_identity`
(the SES identity it belongs to: its domain by default, or the address itself), `dashboard_url` (linked from
every message) and `platform_login_url` (the trading platform's login page, where its password reset is).
A domain identity needs its DKIM records published in DNS before SES sends from it (the SES console shows
them); the local cloud's SES takes the identity as verified.
"""

from __future__ import annotations

from email.utils import formataddr

from aws_cdk import Duration
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_ses as ses
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.config import StageConfig
from infra.constructs.data import Data
from infra.constructs.functions import FunctionFactory, FunctionSpec
from infra.constructs.queues import new_dead_letter_queue, new_work_queue

EVENT_SOURCE = "propdesk"
MAILED_DETAIL_TYPES = (
    "purchase.completed",
    "account.warning",
    "account.breached",
    "account.passed",
    "account.phase_started",
    "account.funded",
    "account.scaled",
    "abuse.flag_decided",  # a review's decision, told to the trader without its details
)
MAILED_DETAIL_TYPE_PREFIXES = ("kyc.", "payout.")
MAILER_TIMEOUT_SECONDS = 30
MAILER_CONCURRENCY = 5  # SES's default sending rate starts at 14 a second; five workers stay well below
MAIL_PARTITIONS = "MAIL#*"
MARKER_ACTIONS = ("dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem")
CONTEXT_DEFAULTS = {
    "mail_from_address": "no-reply@mail.propdesk.example",
    "mail_identity": "",  # empty: the sender address's domain
    "dashboard_url": "",
    "platform_login_url": "",
}


class Mail(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        config: StageConfig,
        data: Data,
        bus: events.IEventBus,
        user_pool: cognito.IUserPool,
        functions: FunctionFactory,
    ) -> None:
        super().__init__(scope, construct_id)
        self.dead_letter_queues: dict[str, sqs.Queue] = {}
        setting = {
            name: str(self.node.try_get_context(name) or default)
            for name, default in CONTEXT_DEFAULTS.items()
        }
        self.from_address = setting["mail_from_address"]
        identity = setting["mail_identity"] or self.from_address.rpartition("@")[2]
        self.identity = ses.EmailIdentity(
            self,
            "Identity",
            identity=ses.Identity.email(identity) if "@" in identity else ses.Identity.domain(identity),
        )
        self.sender = formataddr((config.firm_name, self.from_address))
        self.settings = {"MAIL_FROM": self.sender, "FIRM_NAME": config.firm_name}
        self.platform_login_url = setting["platform_login_url"]

        environment = {
            "TABLE_NAME": data.table.table_name,
            "USER_POOL_ID": user_pool.user_pool_id,
            **self.settings,
        }
        if setting["dashboard_url"]:
            environment["DASHBOARD_URL"] = setting["dashboard_url"]
        self.mailer = functions.create(
            self,
            FunctionSpec(
                "mailer",
                "Domain events: renders the trader's e-mail and sends it through SES, once per event",
                MAILER_TIMEOUT_SECONDS,
                256,
                environment,
            ),
        )
        self._feed(config, bus, self.mailer)
        data.grant_table(self.mailer)  # the account (currency) and the program (names) a message shows
        data.grant_partition_writes(self.mailer, MARKER_ACTIONS, (MAIL_PARTITIONS,))
        user_pool.grant(self.mailer, "cognito-idp:AdminGetUser")  # the trader's address, by `sub`
        self.let_send(self.mailer)

    def let_mail_logins(self, provisioning: lambda_.Function) -> None:
        """Provisioning mails the platform login itself (only it ever holds the one-time password)."""
        for name, value in self.settings.items():
            provisioning.add_environment(name, value)
        if self.platform_login_url:
            provisioning.add_environment("PLATFORM_LOGIN_URL", self.platform_login_url)
        self.let_send(provisioning)

    def let_send(self, function: lambda_.Function) -> None:
        """`ses:SendEmail` on the firm's identity only, from its one sender address."""
        function.add_to_role_policy(
            iam.PolicyStatement(
                sid="SendFromTheFirmsIdentityOnly",
                actions=["ses:SendEmail"],
                resources=[self.identity.email_identity_arn],
                conditions={"StringEquals": {"ses:FromAddress": self.from_address}},
            )
        )

    def _feed(self, config: StageConfig, bus: events.IEventBus, function: lambda_.Function) -> None:
        undeliverable = self._dead_letter_queue(
            config, "mailer-delivery", "domain events EventBridge could not put on the mailer queue"
        )
        failed = self._dead_letter_queue(
            config, "mailer", "e-mails that failed 5 sends (SES or the user pool unavailable)"
        )
        queue = new_work_queue(
            self, "MailerQueue", config, "mailer", Duration.seconds(6 * MAILER_TIMEOUT_SECONDS), failed
        )
        events.Rule(
            self,
            "MailerRule",
            rule_name=config.resource_name("mailer"),
            description="propdesk: purchase, evaluation, KYC and payout events become e-mails to the trader",
            event_bus=bus,
            event_pattern=events.EventPattern(
                source=[EVENT_SOURCE],
                detail_type=events.Match.any_of(
                    *(events.Match.exact_string(name) for name in MAILED_DETAIL_TYPES),
                    *(events.Match.prefix(prefix) for prefix in MAILED_DETAIL_TYPE_PREFIXES),
                ),
            ),
            targets=[
                targets.SqsQueue(
                    queue, dead_letter_queue=undeliverable, retry_attempts=8, max_event_age=Duration.hours(24)
                )
            ],
        )
        function.add_event_source(
            sources.SqsEventSource(
                queue, batch_size=10, report_batch_item_failures=True, max_concurrency=MAILER_CONCURRENCY
            )
        )

    def _dead_letter_queue(self, config: StageConfig, name: str, holds: str) -> sqs.Queue:
        construct_id = "".join(part.capitalize() for part in name.split("-")) + "Dlq"
        queue = new_dead_letter_queue(self, construct_id, config, name, holds)
        self.dead_letter_queues[name] = queue
        return queue
