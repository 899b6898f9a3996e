"""The challenge-phase share and the breach share through the payout service and workflow: the catalogue's
examples (FundedNext: 15% of a $10,000 target; 50% of the +$7,000 left after a daily-loss breach), each
paid once, with the payout it rides on (what the rail pays, the views, the events, the mail), computed again
when the workflow re-assesses, and the program's terms checked on publishing."""

from __future__ import annotations

import copy
from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from propdesk.catalogue import demo_programs
from propdesk.domain_events import PayoutPaid, PayoutRequested
from propdesk.errors import InvalidInputError
from propdesk.http.payout_views import eligibility_view, payout_view
from propdesk.mail.letter import Firm
from propdesk.mail.payouts import payout_status
from propdesk.payouts.approval import ApprovalPolicy
from propdesk.payouts.extras import TradeRisk
from propdesk.payouts.policy import PayoutPolicyError
from propdesk.payouts.requests import PayoutAmountRefusedError, PayoutRefusedError
from propdesk.payouts.shares import share_terms
from propdesk.records import Account, RiskSnapshot
from propdesk.services.mailer import payout_notice
from propdesk.services.program_publishing import checked_document

from tests.unit.payouts.payout_workflow_world import FUNDED_AT, INITIAL, NOW, TRADER, Execution, PayoutDesk

CHALLENGE = "two-step-100k-phase-2"
TARGET = Decimal(10000)  # FundedNext's example: a $10,000 target
STOPPED = [TradeRisk("p1", True, Decimal(12000)), TradeRisk("p2", True, Decimal(-900))]
FUNDEDNEXT_BREACH = {"percent": "50", "rules": ["daily_loss"], "require_stop_loss": True,
                     "max_trade_loss_percent": "1"}  # fmt: skip


def challenge_document() -> dict[str, Any]:
    """The demo phase 2 with FundedNext's fixed $10,000 target."""
    program = next(p for p in demo_programs() if p.summary.program_id == CHALLENGE)
    document = copy.deepcopy(program.document)
    document["rules"] = [
        rule if rule["type"] != "profit_target" else {"type": "profit_target", "amount": {"fixed": "10000"}}
        for rule in document["rules"]
    ]
    return document


def sharing_desk(made: Decimal = Decimal(12000), **payouts: Any) -> PayoutDesk:
    """A funded account that continues a challenge which made `made` (target $10,000); the funded program
    grants the shares in `payouts` (challenge_share, breach_share). Payouts under 100,000 are automatic."""
    desk = PayoutDesk(approval=ApprovalPolicy(Decimal(100000), Decimal(100000)))
    desk.facts.documents[("funded-100k", 1)] = {"kind": "funded", "payouts": payouts}
    desk.facts.documents[(CHALLENGE, 1)] = challenge_document()
    desk.accounts.accounts["acc-0"] = Account(
        "acc-0", TRADER.subject, CHALLENGE, 1, "passed", "USD", INITIAL, "UTC", "00:00", FUNDED_AT
    )
    state = {"balance": str(INITIAL + made), "withdrawn": "0"}
    desk.facts.snapshots["acc-0"] = RiskSnapshot("acc-0", 1, state, {}, None, 0, FUNDED_AT)
    desk.facts.previous["acc-1"] = "acc-0"
    return desk


def pay(desk: PayoutDesk, payout_id: str) -> str:
    execution = Execution(desk, payout_id)
    outcome = execution.run()
    if outcome != "WaitForPayment":
        return outcome
    desk.rail.settle(next(ref for ref, p in desk.rail.payments.items() if p["payout_id"] == payout_id))
    desk.deliver_webhooks()
    return execution.run()


def fail(desk: PayoutDesk, payout_id: str) -> str:
    execution = Execution(desk, payout_id)
    assert execution.run() == "WaitForPayment"
    desk.rail.fail(next(ref for ref, p in desk.rail.payments.items() if p["payout_id"] == payout_id))
    desk.deliver_webhooks()
    return execution.run()


def breach(desk: PayoutDesk, left: Decimal, trades: list[TradeRisk], rule: str = "daily_loss") -> None:
    """The funded account made profit, then a `rule` breach failed it leaving `left` over the initial."""
    desk.trade(left)
    desk.evaluation = {
        "status": "failed",
        "breaches": [{"rule": rule, "effect": "fail", "overridden": False}],
    }
    desk.engine_catches_up()
    desk.accounts.accounts["acc-1"] = replace(desk.accounts.accounts["acc-1"], status="failed")
    desk.facts.risks["acc-1"] = trades


def extras(desk: PayoutDesk, payout_id: str) -> dict[str, Decimal]:
    payout = desk.payouts.get(payout_id)
    assert payout is not None
    return {extra.kind: extra.amount for extra in payout.extras}


# ---- the challenge-phase share


def test_fundednext_pays_15_percent_of_the_target_not_of_the_profit_with_the_first_payout() -> None:
    desk = sharing_desk(challenge_share={"percent_of_target": "15"})
    desk.trade(Decimal(1000))

    payout_id = desk.request()

    assert extras(desk, payout_id) == {"challenge_share": Decimal("1500.00")}  # not 15% of the 12,000 made
    assert pay(desk, payout_id) == "paid"
    payout = desk.payouts.get(payout_id)
    assert payout is not None and payout.paid_amount == Decimal("2300.00")  # 800 share + 1,500
    assert [p["amount"] for p in desk.rail.payments.values()] == ["2300.00"]
    assert desk.platform_balance == INITIAL  # only the profit left the account, not the share
    requested, paid = desk.publisher.of_type("payout.requested")[0], desk.publisher.of_type("payout.paid")[0]
    assert isinstance(requested, PayoutRequested) and isinstance(paid, PayoutPaid)
    assert requested.extras == paid.extras == {"challenge_share": Decimal("1500.00")}
    assert payout_view(payout).extras == {"challenge_share": "1500.00"}
    assert "15% of the 10000 target" in payout_view(payout).extra_reasons["challenge_share"]
    mail = payout_status(payout_notice(paid), Firm("Desk", "support@example.com"))
    assert "Challenge-phase profit share" in mail.text and "1,500.00" in mail.text


def test_the_challenge_share_is_paid_once() -> None:
    desk = sharing_desk(challenge_share={"percent_of_target": "15"})
    desk.trade(Decimal(1000))
    assert pay(desk, desk.request()) == "paid"
    desk.engine_catches_up()
    desk.trade(Decimal(1000))

    second = desk.request()

    assert extras(desk, second) == {}
    preview = desk.service().preview("acc-1", TRADER, NOW, None)
    assert (
        "paid once"
        in eligibility_view(desk.accounts.accounts["acc-1"], preview.assessment, NOW).extra_reasons[
            "challenge_share"
        ]
    )


def test_a_payout_that_failed_does_not_use_up_the_challenge_share() -> None:
    desk = sharing_desk(challenge_share={"percent_of_target": "15"})
    desk.trade(Decimal(1000))
    assert fail(desk, desk.request()) == "compensated"
    desk.engine_catches_up()

    again = desk.request()

    assert extras(desk, again) == {"challenge_share": Decimal("1500.00")}


def test_a_challenge_short_of_its_target_or_no_challenge_at_all_pays_no_share() -> None:
    short = sharing_desk(made=Decimal("9999.99"), challenge_share={"percent_of_target": "15"})
    short.trade(Decimal(1000))
    instant = sharing_desk(challenge_share={"percent_of_target": "15"})
    del instant.facts.previous["acc-1"]  # instant funding: a funded account sold on its own
    instant.trade(Decimal(1000))
    without = sharing_desk()  # the program grants no challenge share
    without.trade(Decimal(1000))

    assert [extras(desk, desk.request()) for desk in (short, instant, without)] == [{}, {}, {}]
    reasons = short.service().preview("acc-1", TRADER, NOW, None).assessment.extras
    assert "no share of the target is owed" in reasons[0].explanation


def test_the_challenge_share_counts_toward_the_amount_finance_must_approve() -> None:
    desk = sharing_desk(challenge_share={"percent_of_target": "15"})
    desk.approval = ApprovalPolicy(Decimal(1000), Decimal(10000))  # an 800 share and a 1,500 share is 2,300
    desk.trade(Decimal(1000))

    assert Execution(desk, desk.request()).run() == "WaitForApproval"


def test_the_workflow_refuses_a_payout_whose_share_is_no_longer_owed_as_requested() -> None:
    desk = sharing_desk(challenge_share={"percent_of_target": "15"})
    desk.trade(Decimal(1000))
    payout_id = desk.request()
    state = {"balance": str(INITIAL + Decimal(9000)), "withdrawn": "0"}  # the challenge's figures, corrected
    desk.facts.snapshots["acc-0"] = RiskSnapshot("acc-0", 2, state, {}, None, 0, NOW)

    assert Execution(desk, payout_id).run() == "refused"
    payout = desk.payouts.get(payout_id)
    assert payout is not None and payout.status == "rejected" and payout.decision_reason == "extras_changed"
    assert desk.rail.payments == {}


# ---- the breach share


def test_fundednext_pays_half_the_profit_left_after_a_daily_loss_breach_and_nothing_else() -> None:
    desk = sharing_desk(breach_share=FUNDEDNEXT_BREACH)
    breach(desk, Decimal(7000), STOPPED)  # +12,000 then a breach leaving +7,000

    payout_id = desk.request()

    payout = desk.payouts.get(payout_id)
    assert payout is not None
    assert (payout.amount, payout.trader_share, payout.firm_share) == (0, 0, 0)
    assert extras(desk, payout_id) == {"breach_share": Decimal("3500.00")}
    assert pay(desk, payout_id) == "paid"
    assert desk.payouts.get(payout_id).paid_amount == Decimal("3500.00")  # type: ignore[union-attr]
    assert desk.platform_balance == INITIAL + 7000  # nothing was taken off the failed account
    assert desk.engine_log.events == {}  # nor told to the engine
    paid = desk.publisher.of_type("payout.paid")[0]
    assert isinstance(paid, PayoutPaid) and paid.extras == {"breach_share": Decimal("3500.00")}


def test_the_breach_share_is_paid_once() -> None:
    desk = sharing_desk(breach_share=FUNDEDNEXT_BREACH)
    breach(desk, Decimal(7000), STOPPED)
    assert pay(desk, desk.request()) == "paid"

    with pytest.raises(PayoutRefusedError) as again:
        desk.request()

    assert again.value.code == "breach_share_not_owed"
    assert "paid once" in again.value.message


def test_a_breached_account_pays_the_challenge_share_with_its_breach_share_when_still_owed() -> None:
    desk = sharing_desk(challenge_share={"percent_of_target": "15"}, breach_share=FUNDEDNEXT_BREACH)
    breach(desk, Decimal(7000), STOPPED)

    payout_id = desk.request()

    assert extras(desk, payout_id) == {
        "challenge_share": Decimal("1500.00"),
        "breach_share": Decimal("3500.00"),
    }


@pytest.mark.parametrize(
    ("trades", "rule", "words"),
    [
        ([*STOPPED, TradeRisk("p3", False, Decimal(10))], "daily_loss", "p3"),
        (
            [TradeRisk("p1", True, Decimal(8000)), TradeRisk("p2", True, Decimal("-1000.01"))],
            "daily_loss",
            "1%",
        ),
        (STOPPED, "max_loss", "does not qualify"),
    ],
)
def test_a_breach_share_whose_conditions_fail_is_refused_with_the_condition(
    trades: list[TradeRisk], rule: str, words: str
) -> None:
    desk = sharing_desk(breach_share=FUNDEDNEXT_BREACH)
    breach(desk, Decimal(7000), trades, rule)

    with pytest.raises(PayoutRefusedError) as refused:
        desk.request()

    assert refused.value.code == "breach_share_not_owed" and words in refused.value.message
    assert desk.payouts.all_for_account("acc-1") == []


def test_a_breached_account_asks_for_no_amount_and_without_a_breach_share_stays_refused() -> None:
    granting = sharing_desk(breach_share=FUNDEDNEXT_BREACH)
    breach(granting, Decimal(7000), STOPPED)
    plain = sharing_desk()
    breach(plain, Decimal(7000), STOPPED)

    with pytest.raises(PayoutAmountRefusedError) as amount:
        granting.request(Decimal(1000))
    with pytest.raises(PayoutRefusedError) as not_active:
        plain.request()

    assert (amount.value.code, amount.value.field) == ("breach_share_only", "amount")
    assert not_active.value.code == "account_not_active"


def test_a_breach_leaving_no_profit_pays_no_share() -> None:
    desk = sharing_desk(breach_share=FUNDEDNEXT_BREACH)
    breach(desk, Decimal(0), STOPPED)

    with pytest.raises(PayoutRefusedError) as refused:
        desk.request()

    assert refused.value.code == "breach_share_not_owed"


# ---- the program's terms


def test_the_program_terms_are_read_with_fundednexts_defaults() -> None:
    terms = share_terms(
        {"payouts": {"challenge_share": {"percent_of_target": "15"}, "breach_share": {"percent": "50"}}}
    )

    assert terms.challenge is not None and terms.challenge.percent_of_target == Decimal(15)
    assert terms.breach is not None
    assert (terms.breach.rules, terms.breach.require_stop_loss, terms.breach.max_trade_loss_percent) == (
        frozenset({"daily_loss"}), True, Decimal(1)
    )  # fmt: skip
    assert share_terms(
        {"payouts": {"breach_share": {"percent": "40", "max_trade_loss_percent": None}}}
    ).breach == (replace(terms.breach, percent=Decimal(40), max_trade_loss_percent=None))
    assert share_terms({"kind": "funded"}).challenge is None


@pytest.mark.parametrize(
    ("section", "field"),
    [
        ({"challenge_share": {"percent_of_target": "0"}}, "payouts.challenge_share.percent_of_target"),
        ({"challenge_share": {"percent_of_target": 15.5}}, "payouts.challenge_share.percent_of_target"),
        ({"challenge_share": "15"}, "payouts.challenge_share"),
        ({"breach_share": {"percent": "101"}}, "payouts.breach_share.percent"),
        ({"breach_share": {"percent": "50", "rules": []}}, "payouts.breach_share.rules"),
        ({"breach_share": {"percent": "50", "require_stop_loss": "yes"}},
         "payouts.breach_share.require_stop_loss"),
        ({"breach_share": {"percent": "50", "max_trade_loss_percent": "-1"}},
         "payouts.breach_share.max_trade_loss_percent"),
    ],
)  # fmt: skip
def test_unreadable_terms_name_the_field_and_publishing_refuses_them_with_422(
    section: dict[str, Any], field: str
) -> None:
    with pytest.raises(PayoutPolicyError) as unreadable:
        share_terms({"payouts": section})
    funded = next(p for p in demo_programs() if p.summary.program_id == "two-step-100k-funded").document
    with pytest.raises(InvalidInputError) as refused:
        checked_document("two-step-100k-funded", {**funded, "payouts": {**funded["payouts"], **section}})

    assert unreadable.value.field == field
    assert refused.value.field == field and refused.value.code == "validation_error"


# ---- the promise, over any sequence

Step = tuple[str, int]
STEPS = st.lists(
    st.tuples(st.sampled_from(["trade", "pay", "fail", "return", "breach"]), st.integers(-3000, 6000)),
    max_size=8,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(STEPS, st.booleans())
def test_no_sequence_of_requests_pays_either_share_twice_and_no_payout_is_negative(
    steps: list[Step], stop_losses: bool
) -> None:
    desk = sharing_desk(challenge_share={"percent_of_target": "15"}, breach_share=FUNDEDNEXT_BREACH)
    trades = STOPPED if stop_losses else [TradeRisk("p1", False, Decimal(100))]
    for action, figure in steps:
        active = desk.accounts.accounts["acc-1"].status == "active"
        if action == "trade":
            if active:
                desk.trade(Decimal(figure))
            continue
        if action == "breach":
            if active:
                breach(desk, Decimal(figure), trades)
            continue
        try:
            payout_id = desk.request()
        except (PayoutRefusedError, PayoutAmountRefusedError):
            continue
        payout = desk.payouts.get(payout_id)
        assert payout is not None
        assert payout.amount >= 0 and payout.trader_share >= 0 and payout.firm_share >= 0
        assert all(extra.amount > 0 for extra in payout.extras) and payout.to_pay >= 0
        if action == "fail":
            fail(desk, payout_id)
        elif pay(desk, payout_id) == "paid" and action == "return":
            reference = next(ref for ref, p in desk.rail.payments.items() if p["payout_id"] == payout_id)
            desk.rail.return_payment(reference)
            desk.deliver_webhooks()
        desk.engine_catches_up()

    kept = [p for p in desk.payouts.all_for_account("acc-1") if p.status == "paid"]  # money the trader kept
    for kind in ("challenge_share", "breach_share"):
        assert sum(1 for p in kept for extra in p.extras if extra.kind == kind) <= 1, kind
    assert all(p.paid_amount is not None and p.paid_amount >= 0 for p in kept)
    assert sum((p.to_pay for p in kept), Decimal(0)) == sum(
        (p.paid_amount for p in kept if p.paid_amount is not None), Decimal(0)
    )
