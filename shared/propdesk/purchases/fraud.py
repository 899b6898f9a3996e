"""Fraud pre-checks at purchase. Each check that fires gives a reason; the firm decides per check whether
it blocks the purchase, only flags the order for review, or is off.

Counting recent purchases is the caller's job (the counts come in with the signals), so the checks stay pure.

Country rules (`country_rules`: a country → block or flag) apply to the issuing country of the card that
paid, which only the payment provider knows, so they run when the payment succeeds (`card_check`), as the
card velocity does. No country the buyer's client sends is trusted (there is no CloudFront in front of the
API: a viewer-country header would be the client's word).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Literal

Check = Literal[
    "email_velocity", "ip_velocity", "card_velocity", "disposable_email", "country_mismatch", "card_country"
]
Action = Literal["block", "flag", "off"]
CHECKS: tuple[Check, ...] = (
    "email_velocity",
    "ip_velocity",
    "card_velocity",
    "disposable_email",
    "country_mismatch",
)  # the checks `FRAUD_ACTIONS` sets; `card_country` takes its action from `country_rules`, per country

# Throwaway-mailbox services seen on sign-ups; the firm extends the list in its policy.
DISPOSABLE_DOMAINS = frozenset(
    {
        "mailinator.com", "guerrillamail.com", "guerrillamail.net", "sharklasers.com", "10minutemail.com",
        "temp-mail.org", "tempmail.com", "yopmail.com", "trashmail.com", "getnada.com", "dispostable.com",
        "maildrop.cc", "throwawaymail.com", "fakeinbox.com", "mintemail.com", "mohmal.com", "emailondeck.com",
    }
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class FraudPolicy:
    actions: Mapping[Check, Action] = field(
        default_factory=lambda: {
            "email_velocity": "flag",
            "ip_velocity": "flag",
            "card_velocity": "block",
            "disposable_email": "block",
            "country_mismatch": "flag",
        }
    )
    max_purchases_per_email: int = 5
    max_purchases_per_ip: int = 10
    max_purchases_per_card: int = 5
    window: timedelta = timedelta(hours=24)
    disposable_domains: frozenset[str] = DISPOSABLE_DOMAINS
    # Issuing countries of cards the firm refuses (`block`: refunded, no account) or wants looked at (`flag`:
    # provisioned, staff alerted), ISO 3166-1 alpha-2 upper case; a country not listed passes.
    country_rules: Mapping[str, Action] = field(default_factory=dict)

    def action(self, check: Check) -> Action:
        return self.actions.get(check, "off")


@dataclass(frozen=True, slots=True)
class PurchaseSignals:
    """What is known about the buyer at purchase; `recent_*` count purchases in the policy's window,
    this one excluded."""

    email: str
    ip: str | None = None
    ip_country: str | None = None
    billing_country: str | None = None
    card_fingerprint: str | None = None
    card_country: str | None = None
    recent_by_email: int = 0
    recent_by_ip: int = 0
    recent_by_card: int = 0


@dataclass(frozen=True, slots=True)
class Finding:
    check: Check
    action: Action
    reason: str


@dataclass(frozen=True, slots=True)
class Assessment:
    findings: tuple[Finding, ...]

    @property
    def blocked(self) -> bool:
        return any(finding.action == "block" for finding in self.findings)

    @property
    def flags(self) -> tuple[str, ...]:
        return tuple(f"{finding.check}: {finding.reason}" for finding in self.findings)

    def blocking_reasons(self) -> list[str]:
        return [finding.reason for finding in self.findings if finding.action == "block"]


def assess(signals: PurchaseSignals, policy: FraudPolicy) -> Assessment:
    """Run every check that is not off; the findings keep the firm's action for each."""
    hours = int(policy.window.total_seconds() // 3600)
    by_email = _over(signals.recent_by_email, policy.max_purchases_per_email, "this e-mail", hours)
    by_ip = _over(signals.recent_by_ip, policy.max_purchases_per_ip, "this IP address", hours)
    by_card = _over(signals.recent_by_card, policy.max_purchases_per_card, "this card", hours)
    candidates: list[tuple[Check, str | None]] = [
        ("email_velocity", by_email),
        ("ip_velocity", by_ip),
        ("card_velocity", by_card),
        ("disposable_email", _disposable(signals.email, policy.disposable_domains)),
        ("country_mismatch", _country_mismatch(signals)),
    ]
    findings = tuple(
        Finding(check, policy.action(check), reason)
        for check, reason in candidates
        if reason is not None and policy.action(check) != "off"
    )
    return Assessment(findings)


def card_velocity(recent_by_card: int, policy: FraudPolicy) -> Finding | None:
    """The card check on its own: the card's fingerprint is only known once the payment went through, so it
    runs when the payment succeeds rather than with the other checks at checkout."""
    hours = int(policy.window.total_seconds() // 3600)
    reason = _over(recent_by_card, policy.max_purchases_per_card, "this card", hours)
    if reason is None or policy.action("card_velocity") == "off":
        return None
    return Finding("card_velocity", policy.action("card_velocity"), reason)


def card_country(country: str | None, policy: FraudPolicy) -> Finding | None:
    """The firm's rule for the card's issuing country, None when the country is unknown or not listed."""
    if not country:
        return None
    action = policy.country_rules.get(country.upper(), "off")
    if action == "off":
        return None
    listed = "blocked" if action == "block" else "review-listed"
    return Finding("card_country", action, f"the card was issued in {country.upper()}, a {listed} country")


def country_mismatch(signals: PurchaseSignals, policy: FraudPolicy) -> Finding | None:
    """The country-mismatch check on its own (at payment: the card's country against the billing country
    the customer gave the provider)."""
    reason = _country_mismatch(signals)
    if reason is None or policy.action("country_mismatch") == "off":
        return None
    return Finding("country_mismatch", policy.action("country_mismatch"), reason)


def _over(recent: int, limit: int, subject: str, hours: int) -> str | None:
    if recent < limit:
        return None
    return f"{recent} purchases with {subject} in the last {hours} h (limit {limit})"


def _disposable(email: str, domains: frozenset[str]) -> str | None:
    domain = disposable_domain(email, domains)
    return None if domain is None else f"{domain} is a disposable e-mail domain"


def disposable_domain(email: str, domains: frozenset[str] = DISPOSABLE_DOMAINS) -> str | None:
    """The address's domain if it is (a subdomain of) a disposable e-mail service, else None."""
    domain = email.rpartition("@")[2].strip().lower()
    parts = domain.split(".")
    candidates = {".".join(parts[index:]) for index in range(len(parts) - 1)}
    return domain if candidates & domains else None


def _country_mismatch(signals: PurchaseSignals) -> str | None:
    named = {
        "IP address": signals.ip_country,
        "billing address": signals.billing_country,
        "card": signals.card_country,
    }
    known = {source: country.upper() for source, country in named.items() if country}
    if len(set(known.values())) <= 1:
        return None
    return "countries differ: " + ", ".join(f"{source} {country}" for source, country in known.items())
