"""Production wiring of KYC (the composition root the KYC functions call once per container): the case store
bound to the table, the firm's provider (Veriff or Sumsub, `KYC_PROVIDER`) reading its secret through a TTL
cache (a rotated webhook secret is picked up by warm functions, and at once after a signature fails), calls
to it retried inside a circuit breaker shared by every worker, the event bus and Step Functions callbacks.
httpx and the adapters are imported only by the functions that reach the provider.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import TYPE_CHECKING

from propdesk.kyc.case import KycPolicy

if TYPE_CHECKING:
    from propdesk.config import KycPolicySettings, KycProviderSettings
    from propdesk.kyc.port import KycProvider
    from propdesk.kyc.verification import KycVerification


def policy(settings: KycPolicySettings) -> KycPolicy:
    return KycPolicy(
        max_attempts=settings.kyc_max_attempts,
        decision_window=timedelta(days=settings.kyc_decision_window_days),
    )


def provider(settings: KycProviderSettings) -> KycProvider:
    from propdesk.adapters.clock import SystemClock
    from propdesk.adapters.kyc.calls import ProviderCalls, provider_breaker
    from propdesk.adapters.kyc.credentials import SecretsManagerReader, TtlSecrets
    from propdesk.data.breakers import DynamoDBBreakerStore

    secrets = TtlSecrets(SecretsManagerReader(), ttl=settings.secrets_ttl_seconds)
    breaker = provider_breaker(settings.kyc_provider, time.time, store=DynamoDBBreakerStore())
    if settings.kyc_provider == "sumsub":
        from propdesk.adapters.kyc import sumsub

        calls = ProviderCalls("sumsub", settings.kyc_api_base or sumsub.DEFAULT_API_BASE, breaker, time.sleep)
        return sumsub.SumsubProvider(
            secrets, settings.kyc_secret_arn, calls, SystemClock(), level_name=settings.sumsub_level_name
        )
    from propdesk.adapters.kyc import veriff

    calls = ProviderCalls("veriff", settings.kyc_api_base or veriff.DEFAULT_API_BASE, breaker, time.sleep)
    return veriff.VeriffProvider(secrets, settings.kyc_secret_arn, calls, SystemClock())


def verification(settings: KycPolicySettings, kyc_provider: KycProvider | None = None) -> KycVerification:
    """The use case over the table (`kyc_provider`: for functions creating sessions or verifying webhooks)."""
    from propdesk.adapters.clock import SystemClock
    from propdesk.adapters.eventbridge import EventBridgePublisher
    from propdesk.adapters.stepfunctions import StepFunctionsCallback
    from propdesk.data.binding import TableBinding, bind_tables
    from propdesk.data.kyc import DynamoKycCaseStore
    from propdesk.kyc.verification import KycVerification

    bind_tables(
        TableBinding(
            settings.table_name,
            None,
            settings.aws_region,
            settings.aws_endpoint_url,
            audit_table_name=getattr(settings, "audit_table_name", None),  # the audit writers
        )
    )
    return_url = getattr(settings, "kyc_return_url", None)
    return KycVerification(
        DynamoKycCaseStore(),
        SystemClock(),
        EventBridgePublisher(settings.event_bus_name),
        StepFunctionsCallback(),
        policy(settings),
        kyc_provider,
        return_url=return_url,
    )
