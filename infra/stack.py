"""The propdesk stack: composes one construct per concern and publishes what clients and tests need."""

from __future__ import annotations

from typing import Any

from aws_cdk import App, CfnOutput, Stack, Tags, Validations
from cdk_nag import AwsSolutionsChecks
from constructs import Construct

from infra.config import StageConfig, load_config, refuse_placeholders_in_prod
from infra.constructs.abuse import Abuse
from infra.constructs.abuse_outbox_sweep import abuse_outbox_sweep
from infra.constructs.abuse_signals import AbuseSignalsStack
from infra.constructs.alerts import Alerts
from infra.constructs.api import Api
from infra.constructs.api_waf import ApiWafStack
from infra.constructs.audit import AuditWatch
from infra.constructs.connector import ConnectorStack
from infra.constructs.data import Data
from infra.constructs.events import Events
from infra.constructs.functions import FunctionFactory
from infra.constructs.identity import Identity
from infra.constructs.ingestion import Ingestion
from infra.constructs.kyc import KycEndpoints
from infra.constructs.mail import Mail
from infra.constructs.monitoring import MonitoringStack
from infra.constructs.payout_workflow import PayoutWorkflow
from infra.constructs.payouts import Payouts
from infra.constructs.platforms import PlatformEnforcement
from infra.constructs.polling import PlatformPollingStack
from infra.constructs.progression import Progression
from infra.constructs.purchases import CONTEXT_DEFAULTS, Purchases
from infra.constructs.read_models import ReadModels
from infra.constructs.realtime import Realtime
from infra.constructs.risk_outbox_sweep import risk_outbox_sweep
from infra.constructs.scaling import ScalingStack
from infra.constructs.secrets import ProviderSecrets
from infra.constructs.workflows import Workflows

# the functions that meet the trader and record identity signals (infra/constructs/abuse_signals.py)
CAPTURES_SIGNALS = ("auth_api", "stripe_webhook", "payouts_api", "kyc_webhook")


class PropdeskStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, *, config: StageConfig, **kwargs: Any) -> None:
        super().__init__(
            scope, construct_id, description=f"propdesk {config.stage} for {config.firm_name}", **kwargs
        )
        functions = FunctionFactory(self, config)
        data = Data(self, "Data", config)
        identity = Identity(self, "Identity", config, functions)
        secrets = ProviderSecrets(self, "Secrets", config)
        realtime = Realtime(self, "Realtime", config, data, identity, functions)
        events = Events(self, "Events", config, data, realtime, functions)
        workflows = Workflows(self, "Workflows", config, data, events.bus, functions, secrets)
        api = Api(self, "Api", config, data, identity.user_pool, functions)
        api.add_sign_in(identity.user_pool, identity.server_client, data, functions)
        if config.api_waf:
            ApiWafStack(self, "ApiWaf", config, api.rest_api.deployment_stage.stage_arn)
        KycEndpoints(self, "Kyc", config, data, events.bus, api, secrets, functions)
        read_models = ReadModels(self, "ReadModels", config, data, realtime, functions)
        purchases = Purchases(self, "Purchases", config, data, events.bus, api, secrets, functions)
        payouts = Payouts(self, "Payouts", data, events.bus, api, functions)
        payout_workflow = PayoutWorkflow(
            self, "PayoutWorkflow", config, data, events.bus, api, secrets, functions, payouts.function,
            workflows.kyc,
        )  # fmt: skip
        progression = Progression(
            self, "Progression", config, data, events.bus, api, secrets, functions, workflows.kyc
        )
        abuse = Abuse(self, "Abuse", config, data, events.bus, api, functions)
        AbuseSignalsStack(self, "AbuseSignals", config).let_capture(
            data, [functions.functions[name] for name in CAPTURES_SIGNALS]
        )
        ingestion = Ingestion(self, "Ingestion", config, data, events.bus, api, secrets, functions)
        enforcement = PlatformEnforcement(self, "Platforms", config, data, events.bus, secrets, functions)
        # reconciliation and its backfill reach every connected platform through the registry
        connections = enforcement.connections_environment()
        ingestion.reconciliation.add_environment("PLATFORM_CONNECTIONS", connections)
        enforcement.grant_connections(ingestion.reconciliation)
        polling = PlatformPollingStack(
            self, "Polling", config, data, events.bus.event_bus_name, functions, enforcement
        )
        connector_image = str(self.node.try_get_context("connector_image") or "")
        if connector_image:  # the container service; the local cloud runs it as a process (docs/connector.md)
            signing = {str(platform): secret for platform, secret in ingestion.signing_secrets.items()}
            events_url = api.rest_api.url_for_path("/v1/platform/events")
            ConnectorStack(self, "Connector", config, connector_image, data, events_url, signing, enforcement)
        mail = Mail(self, "Mail", config, data, events.bus, identity.user_pool, functions)
        mail.let_mail_logins(purchases.provisioning)
        mail.let_mail_logins(progression.open)  # the next account's login, mailed as provisioning does
        alerts = Alerts(self, "Alerts", config, data, events.bus, api, functions)
        scaling = ScalingStack(self, "Scaling", config, data, events.bus, functions, enforcement)
        outbox_sweep = risk_outbox_sweep(self, config, data, events.bus, functions)
        abuse_sweep = abuse_outbox_sweep(self, config, data, events.bus, functions)
        match_trader_base_url = str(self.node.try_get_context("match_trader_base_url") or "")
        abuse.let_put_back_withdrawals(
            data, secrets.secrets["match-trader"], match_trader_base_url, also=(abuse_sweep.function,)
        )
        identity.require_staff_mfa(
            config, [functions.functions[name] for name in ("staff_api", "payouts_api", "orders_api")]
        )
        AuditWatch(
            self, "AuditWatch", config, data, functions, read_models.dead_letter_queues["stream-projections"]
        )
        monitoring = MonitoringStack(
            self,
            "Monitoring",
            config,
            functions.functions,
            {
                **events.dead_letter_queues,
                **workflows.dead_letter_queues,
                **read_models.dead_letter_queues,
                **purchases.dead_letter_queues,
                **ingestion.dead_letter_queues,
                **polling.dead_letter_queues,
                **progression.dead_letter_queues,
                **payout_workflow.dead_letter_queues,
                **enforcement.dead_letter_queues,
                **mail.dead_letter_queues,
                **alerts.dead_letter_queues,
                **abuse.dead_letter_queues,
                **scaling.dead_letter_queues,
                **outbox_sweep.dead_letter_queues,
                **abuse_sweep.dead_letter_queues,
            },
            {
                "kyc": workflows.kyc,
                "progression": progression.machine,
                "payouts": payout_workflow.state_machine,
            },
            {"risk_recalc": events.risk_recalc},
        )
        alerts.notify_ops(monitoring.topic)

        outputs = {
            "RestApiUrl": api.rest_api.url,
            "RestApiId": api.rest_api.rest_api_id,
            "RestApiStage": api.rest_api.deployment_stage.stage_name,
            "WebSocketApiId": realtime.api.api_id,
            "WebSocketStage": realtime.stage.stage_name,
            "WebSocketUrl": realtime.stage.url,
            "UserPoolId": identity.user_pool.user_pool_id,
            "UserPoolClientId": identity.client.user_pool_client_id,
            "UserPoolServerClientId": identity.server_client.user_pool_client_id,
            "TableName": data.table.table_name,
            "ConnectionsTableName": data.connections.table_name,
            "AuditTableName": data.audit.table_name,
            "RealtimeTableName": data.realtime.table_name,
            "AbuseStateTableName": abuse.state_table.table_name,
            "EventBusName": events.bus.event_bus_name,
            "KycStateMachineArn": workflows.kyc.state_machine_arn,
            "PlatformSigningSecretArns": ingestion.signing_secret_arns,
            "ProgressionStateMachineArn": progression.machine.state_machine_arn,
            "PayoutStateMachineArn": payout_workflow.state_machine.state_machine_arn,
            "VeriffSecretArn": secrets.veriff.secret_arn,
            "SumsubSecretArn": secrets.secrets["sumsub"].secret_arn,
        }
        for output_id, value in outputs.items():
            CfnOutput(self, output_id, value=value)


def build_app(app: App) -> PropdeskStack:
    """Add the stage's stack (settings from the app's context) and the cdk-nag checks to `app`."""
    config = load_config(app.node.try_get_context)
    urls = ("checkout_success_url", "checkout_cancel_url")
    refuse_placeholders_in_prod(
        config, {name: str(app.node.try_get_context(name) or CONTEXT_DEFAULTS[name]) for name in urls}
    )
    stack = PropdeskStack(app, config.stack_name, config=config)
    Tags.of(stack).add("project", "propdesk")
    Tags.of(stack).add("stage", config.stage)
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return stack
