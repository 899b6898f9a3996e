"""Builders for KYC case tests: a trader, the firm's policy, provider sessions and decisions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from propdesk.kyc.case import KycPolicy, Need, Transition, VerificationCase, open_case, session_created
from propdesk.kyc.port import (
    KycProviderName,
    KycSession,
    Outcome,
    ProgressStage,
    ProviderDecision,
    ProviderProgress,
)

T0 = datetime(2026, 11, 25, 13, 0, tzinfo=UTC)
TRADER = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
POLICY = KycPolicy(max_attempts=3, decision_window=timedelta(days=14))
FUNDED = Need("funded", "acc-1", "token-funded")
PAYOUT = Need("payout", "payout-1", "token-payout")


def session_id(number: int) -> str:
    return f"session-{number}"


def opened(policy: KycPolicy = POLICY, need: Need = FUNDED) -> VerificationCase:
    return open_case(None, TRADER, need, policy, T0).case


def with_session(case: VerificationCase, provider: KycProviderName = "veriff") -> Transition:
    """The provider session for the current attempt was created."""
    number = case.current.number
    session = KycSession(
        provider, case.current.reference, session_id(number), f"https://verify.test/v/{number}"
    )
    return session_created(case, session, T0)


def started(policy: KycPolicy = POLICY) -> VerificationCase:
    """A case whose first attempt's session is open: the trader has the link."""
    return with_session(opened(policy)).case


def decision(
    outcome: Outcome,
    number: int = 1,
    provider: KycProviderName = "veriff",
    codes: tuple[str, ...] = (),
    minutes: int = 5,
) -> ProviderDecision:
    return ProviderDecision(
        provider=provider,
        session_id=session_id(number),
        reference=f"kyc-{TRADER}-{number}",
        outcome=outcome,
        provider_code=f"{provider}:{outcome}",
        reason_codes=codes,
        decided_at=T0 + timedelta(minutes=minutes),
        delivery_id=f"{provider}:{number}:{outcome}",
    )


def progress(stage: ProgressStage, number: int = 1, provider: KycProviderName = "veriff") -> ProviderProgress:
    return ProviderProgress(
        provider=provider,
        session_id=session_id(number),
        reference=f"kyc-{TRADER}-{number}",
        stage=stage,
        provider_code=f"{provider}:{stage}",
        occurred_at=T0,
        delivery_id=f"{provider}:{number}:{stage}",
    )
