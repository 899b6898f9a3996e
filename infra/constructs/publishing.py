"""Who may put which domain events on the bus: `grant_publish` gives a function `events:PutEvents` on the
propdesk bus for the detail types it publishes and nothing else, with source `propdesk` (IAM's condition keys
`events:source` and `events:detail-type`, checked by EventBridge for every entry of a PutEvents request).

`PUBLISHES` is the one list of what each function may publish; `tests/infrastructure/test_infra_publishing.py`
checks it against the synthesized roles and against the event types each function's code can construct.
"""

from __future__ import annotations

from collections.abc import Iterable

from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from propdesk import domain_events as de

from infra.constructs.functions import PropdeskFunction

EVENT_SOURCE = de.SOURCE


def _types(*event_types: type[de.DomainEvent]) -> frozenset[str]:
    return frozenset(event_type.detail_type for event_type in event_types)


PLATFORM_REQUESTS = _types(
    de.AccountDisableRequested, de.AccountEnableRequested, de.AccountPauseRequested, de.AccountResumeRequested
)
RISK_OUTCOMES = _types(de.AccountBreached, de.AccountPassed, de.AccountWarning) | PLATFORM_REQUESTS
PURCHASE_FACTS = _types(
    de.PurchaseCompleted,
    de.PurchaseFailed,
    de.PurchaseRefunded,
    de.PurchaseDisputed,
    de.PurchaseDisputeClosed,
    de.PurchaseFlagged,
)
KYC_FACTS = _types(
    de.KycRequested,
    de.KycInReview,
    de.KycApproved,
    de.KycDeclined,
    de.KycExpired,
    de.KycResubmissionRequested,
    de.FirmAlert,
)
PAYOUT_FACTS = _types(
    de.PayoutRequested, de.PayoutApproved, de.PayoutRejected, de.PayoutPaid, de.PayoutFailed
)
ALERT = _types(de.FirmAlert)
# A flag raised or decided; a decision that denies payouts rejects those waiting (payout.rejected) and one
# that fails accounts asks their platform to disable them.
ABUSE_FACTS = _types(de.AbuseFlagRaised, de.AbuseFlagDecided, de.PayoutRejected) | PLATFORM_REQUESTS
PROGRESSION_FACTS = _types(de.AccountPhaseStarted, de.AccountFunded, de.AccountDisableRequested, de.FirmAlert)

# Function (its folder under functions/) → the detail types it may put on the bus. A function not listed
# may put none.
PUBLISHES: dict[str, frozenset[str]] = {
    "risk_recalc": RISK_OUTCOMES,
    "daily_reset": RISK_OUTCOMES,
    "risk_outbox_sweep": RISK_OUTCOMES,  # what a recalculation committed to and did not get done
    "abuse_detect": ABUSE_FACTS,
    "abuse_deep_pass": ABUSE_FACTS,
    "abuse_api": ABUSE_FACTS,
    "abuse_outbox_sweep": ABUSE_FACTS,  # what a decision committed to and did not get done
    "orders_api": PURCHASE_FACTS,
    "stripe_webhook": PURCHASE_FACTS | ALERT,  # the card check's findings go to staff
    "crypto_webhook": PURCHASE_FACTS,
    "reconciliation": PURCHASE_FACTS | ALERT,
    "provisioning": _types(de.AccountProvisioned) | ALERT,
    "kyc_webhook": KYC_FACTS,
    "kyc_api": KYC_FACTS,
    "kyc_request": KYC_FACTS,
    "kyc_decision": KYC_FACTS,
    "payouts_api": PAYOUT_FACTS,
    "payout_steps": PAYOUT_FACTS,
    "payout_webhooks": PAYOUT_FACTS,  # a return after paid: payout.failed
    "payout_scaling": _types(de.AccountScaled),  # the scaling plan's reviews
    "progression_start": PROGRESSION_FACTS,
    "progression_review": PROGRESSION_FACTS,
    "progression_finish": PROGRESSION_FACTS,
    "progression_api": ALERT,  # a review whose workflow can no longer be resumed
    "platform_commands": ALERT,
    # a difference with the platform is corrected by putting the command again
    "platform_drift": _types(de.AccountDisableRequested, de.AccountEnableRequested, de.AccountPauseRequested)
    | ALERT,
    "platform_reconciliation": ALERT,
}


def grant_publish(bus: events.IEventBus, function: lambda_.IFunction, name: str | None = None) -> None:
    """`events:PutEvents` on `bus` for the detail types `PUBLISHES` lists for the function (`name`, by
    default the name it was created with), source `propdesk` only."""
    grant_put_events(bus, function, PUBLISHES[name or function_name(function)])


def function_name(function: lambda_.IFunction) -> str:
    """The name a `FunctionFactory` function was created with (its folder under functions/)."""
    owner = function.node.scope
    assert isinstance(owner, PropdeskFunction), f"{function.node.path} was not made by FunctionFactory"
    return owner.spec.name


def grant_put_events(bus: events.IEventBus, grantee: iam.IGrantable, detail_types: Iterable[str]) -> None:
    grantee.grant_principal.add_to_principal_policy(
        iam.PolicyStatement(
            actions=["events:PutEvents"],
            resources=[bus.event_bus_arn],
            conditions={
                "StringEquals": {"events:source": EVENT_SOURCE, "events:detail-type": sorted(detail_types)}
            },
        )
    )
