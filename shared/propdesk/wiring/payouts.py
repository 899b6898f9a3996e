"""Production wiring of the payouts (the composition root `payouts_api` and the `payout_*` functions call once
per container): the payout service and the workflow over the main table, the Match-Trader platform and the
rails, credentials read from Secrets Manager on first use. Imports happen on first use."""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING

from propdesk.payouts.approval import ApprovalPolicy
from propdesk.payouts.policy import PayoutPolicy, SplitTier
from propdesk.wiring.purchases import CREDENTIALS_TTL_SECONDS

if TYPE_CHECKING:
    from propdesk.adapters.platforms.match_trader import MatchTraderPlatform
    from propdesk.adapters.rails.bridge import BridgeStablecoinRail
    from propdesk.adapters.rails.wise import WiseBankRail
    from propdesk.config import PayoutPlatformSettings, PayoutsApiSettings, PayoutWorkflowSettings
    from propdesk.payouts.model import Payout
    from propdesk.payouts.put_back import PutBack, StartedWithdrawals
    from propdesk.payouts.requests import PayoutService
    from propdesk.payouts.workflow import PayoutWorkflow
    from propdesk.ports import EventPublisher, SecretSource, WorkflowCallback
    from propdesk.rails.port import PayoutRail


def firm_policy(settings: PayoutsApiSettings) -> PayoutPolicy:
    return PayoutPolicy(
        split=(SplitTier(settings.payout_profit_split_percent),),
        minimum_amount=settings.payout_minimum_amount,
        first_payout_after_days=settings.payout_first_after_days,
        days_between_payouts=settings.payout_days_between,
        require_kyc=settings.payout_require_kyc,
    )


def approval_policy(settings: PayoutsApiSettings) -> ApprovalPolicy:
    return ApprovalPolicy(settings.payout_auto_approve_below, settings.payout_two_person_above)


def payout_service(
    settings: PayoutsApiSettings, publisher: EventPublisher, callback: WorkflowCallback | None = None
) -> PayoutService:
    """The payout use cases over the main table (bound already), publishing to `publisher`."""
    from propdesk.data.accounts import AccountRepository
    from propdesk.data.payout_facts import PayoutFactsReader
    from propdesk.data.payouts import PayoutRepository
    from propdesk.payouts.requests import PayoutService

    return PayoutService(
        AccountRepository(),
        PayoutRepository(),
        PayoutFactsReader(),
        publisher,
        firm_policy(settings),
        lambda: uuid.uuid4().hex,
        approval_policy(settings),
        callback,
    )


def payout_workflow(settings: PayoutWorkflowSettings, source: SecretSource) -> PayoutWorkflow:
    """Every step's use cases; the platform and the rails are built now but read their secrets on first
    call, so a step that never pays never reads the rails' credentials."""
    from propdesk.adapters.clock import SystemClock
    from propdesk.adapters.eventbridge import EventBridgePublisher
    from propdesk.adapters.stepfunctions import StepFunctionsCallback
    from propdesk.data.events import TradingEventRepository
    from propdesk.data.payout_destinations import PayoutDestinationRepository
    from propdesk.data.payout_facts import PayoutFactsReader
    from propdesk.data.payout_holds import PayoutHoldRepository
    from propdesk.data.payouts import PayoutRepository
    from propdesk.data.platform_refs import PlatformRefReader
    from propdesk.payouts.workflow import PayoutWorkflow

    publisher = EventBridgePublisher(settings.event_bus_name)
    callback = StepFunctionsCallback()
    platform = payout_platform(settings, source)
    rails = payout_rails(settings, source)
    return PayoutWorkflow(
        service=payout_service(settings, publisher, callback),
        payouts=PayoutRepository(),
        facts=PayoutFactsReader(),
        holds=PayoutHoldRepository(),
        platform=platform,
        platform_refs=PlatformRefReader(platform.name),
        engine_events=TradingEventRepository(),
        destinations=PayoutDestinationRepository(),
        rails=rails,
        publisher=publisher,
        callback=callback,
        clock=SystemClock(),
        new_id=lambda: uuid.uuid4().hex,
    )


def payout_platform(settings: PayoutPlatformSettings, source: SecretSource) -> MatchTraderPlatform:
    """The platform payouts are withdrawn on, as provisioning reaches it (its secret read on first call)."""
    from propdesk.config import ProvisioningSettings
    from propdesk.wiring.purchases import match_trader

    # Only the Match-Trader fields of the provisioning settings are read by `match_trader`.
    platform_settings = ProvisioningSettings.model_construct(
        **settings.model_dump(
            include={"stage", "aws_region", "aws_endpoint_url", "table_name", "event_bus_name"}
        ),
        match_trader_secret_arn=settings.match_trader_secret_arn or "unset",
        match_trader_base_url=settings.match_trader_base_url,
        match_trader_server=settings.match_trader_server,
        platform_requests_per_minute=settings.platform_requests_per_minute,
    )
    return match_trader(platform_settings, source)


def started_withdrawals(settings: PayoutPlatformSettings, source: SecretSource) -> StartedWithdrawals:
    """What puts back a withdrawal in doubt (`propdesk.payouts.put_back`) for code that ends payouts outside
    the workflow (the abuse decisions' denial)."""
    from propdesk.adapters.clock import SystemClock
    from propdesk.data.platform_refs import PlatformRefReader
    from propdesk.payouts.put_back import StartedWithdrawals

    platform = payout_platform(settings, source)
    return StartedWithdrawals(platform, PlatformRefReader(platform.name), SystemClock())


class StartedWithdrawalsOnFirstUse:
    """`started_withdrawals`, built the first time a payout needs it (rarely: a function that denies payouts
    should not load a platform adapter at every cold start)."""

    def __init__(self, settings: PayoutPlatformSettings, source: SecretSource) -> None:
        self._settings = settings
        self._source = source
        self._built: StartedWithdrawals | None = None

    def put_back(self, payout: Payout) -> PutBack:
        if self._built is None:
            self._built = started_withdrawals(self._settings, self._source)
        return self._built.put_back(payout)


def payout_rails(settings: PayoutWorkflowSettings, source: SecretSource) -> dict[str, PayoutRail]:
    """The rail for each destination kind: Bridge pays wallets, Wise pays bank accounts."""
    bridge, wise = bridge_rail(settings, source), wise_rail(settings, source)
    return {"stablecoin_wallet": bridge, "iban": wise, "us_bank_account": wise, "uk_bank_account": wise}


def bridge_rail(settings: PayoutWorkflowSettings, source: SecretSource) -> BridgeStablecoinRail:
    from propdesk.adapters.platforms.credentials import CachedSecret
    from propdesk.adapters.rails.bridge import BridgeCredentials, BridgeStablecoinRail

    secret = CachedSecret(source, settings.bridge_secret_arn or "unset", ttl=CREDENTIALS_TTL_SECONDS)
    return BridgeStablecoinRail(
        credentials=lambda: BridgeCredentials(str(secret()["api_key"]), str(secret()["webhook_public_key"])),
        customer_id=settings.bridge_customer_id,
        wallet_id=settings.bridge_wallet_id,
        sleep=time.sleep,
        api_base=settings.bridge_api_base,
    )


def wise_rail(settings: PayoutWorkflowSettings, source: SecretSource) -> WiseBankRail:
    from propdesk.adapters.platforms.credentials import CachedSecret
    from propdesk.adapters.rails.wise import WiseBankRail, WiseCredentials

    secret = CachedSecret(source, settings.wise_secret_arn or "unset", ttl=CREDENTIALS_TTL_SECONDS)
    return WiseBankRail(
        credentials=lambda: WiseCredentials(str(secret()["api_token"]), str(secret()["webhook_public_key"])),
        profile_id=settings.wise_profile_id,
        source_currency=settings.wise_source_currency,
        sleep=time.sleep,
        api_base=settings.wise_api_base,
    )


def workflow_from_env(environ: Mapping[str, str]) -> PayoutWorkflow:
    """The workflow as a `payout_*` function runs it: settings from its environment, the table bound."""
    from propdesk.adapters.secrets import SecretsManagerSource
    from propdesk.config import PayoutWorkflowSettings
    from propdesk.data.binding import TableBinding, bind_tables

    settings = PayoutWorkflowSettings.from_env(environ)
    bind_tables(
        TableBinding(
            settings.table_name,
            None,
            settings.aws_region,
            settings.aws_endpoint_url,
            audit_table_name=settings.audit_table_name or None,
        )
    )
    return payout_workflow(settings, SecretsManagerSource())
