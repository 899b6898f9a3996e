"""The payout service over in-memory stores: a trader's request is assessed as the preview showed, stored
once per Idempotency-Key and announced once; finance decides once, audited; refusals carry the rule's code."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from propdesk.access import Identity
from propdesk.errors import ConflictError, ForbiddenError, InvalidInputError, NotFoundError
from propdesk.payouts import PayoutPolicy, SplitTier
from propdesk.payouts.holds import PayoutHold
from propdesk.payouts.requests import (
    DecidePayout,
    PayoutAmountRefusedError,
    PayoutRefusedError,
    PayoutService,
    RequestPayout,
)
from propdesk.records import Account, RiskSnapshot

from tests.doubles.payouts import InMemoryAccounts, InMemoryPayoutFacts, InMemoryPayoutStore
from tests.doubles.ports import InMemoryEventPublisher

FUNDED_AT = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
NOW = FUNDED_AT + timedelta(days=30)
FIRM = PayoutPolicy(
    split=(SplitTier(Decimal(80)),),
    minimum_amount=Decimal(150),
    first_payout_after_days=14,
    days_between_payouts=14,
)
TRADER = Identity("trader-1", frozenset({"trader"}))
FINANCE = Identity("finance-1", frozenset({"finance"}))


@dataclass
class Desk:
    accounts: InMemoryAccounts = field(default_factory=InMemoryAccounts)
    payouts: InMemoryPayoutStore = field(default_factory=InMemoryPayoutStore)
    facts: InMemoryPayoutFacts = field(default_factory=InMemoryPayoutFacts)
    publisher: InMemoryEventPublisher = field(default_factory=InMemoryEventPublisher)
    admitted: int = 0
    ids: int = 0

    @classmethod
    def funded(cls, balance: str = "103000", kyc: str = "approved") -> Desk:
        desk = cls()
        account = Account(
            "acc-1", TRADER.subject, "funded-100k", 1, "active", "USD", Decimal(100000), "UTC", "00:00",
            FUNDED_AT,
        )  # fmt: skip
        desk.accounts.accounts[account.account_id] = account
        desk.facts.documents[("funded-100k", 1)] = {"kind": "funded"}
        desk.facts.kyc[TRADER.subject] = kyc  # type: ignore[assignment]
        desk.facts.snapshots["acc-1"] = RiskSnapshot("acc-1", 1, {"balance": balance}, {}, None, 0, NOW)
        return desk

    def service(self) -> PayoutService:
        return PayoutService(self.accounts, self.payouts, self.facts, self.publisher, FIRM, self._new_id)

    def request(self, amount: str | None = None, key: str | None = None, by: Identity = TRADER) -> object:
        command = RequestPayout("acc-1", by, NOW, Decimal(amount) if amount else None, key)
        return self.service().request(command, admit=self._admit)

    def _admit(self) -> None:
        self.admitted += 1

    def _new_id(self) -> str:
        self.ids += 1
        return f"{self.ids:024d}{'0' * 8}"  # the service keeps the first 24 characters of an id


def test_a_request_pays_what_the_preview_showed_and_announces_it_once() -> None:
    desk = Desk.funded()

    preview = desk.service().preview("acc-1", TRADER, NOW, None)
    requested = desk.service().request(RequestPayout("acc-1", TRADER, NOW), admit=lambda: None)

    assert preview.assessment.eligible
    assert requested.payout.amount == preview.assessment.quote.amount == Decimal("3000.00")
    assert requested.payout.trader_share == Decimal("2400.00")
    assert not requested.replayed
    assert [e.detail_type for e in desk.publisher.published] == ["payout.requested"]
    assert desk.payouts.get(requested.payout.payout_id).published_status == "requested"  # type: ignore[union-attr]


def test_a_repeat_of_the_key_is_answered_without_counting_and_another_request_with_it_is_refused() -> None:
    desk = Desk.funded()

    first = desk.service().request(RequestPayout("acc-1", TRADER, NOW, Decimal(2000), "k-1"), desk._admit)
    again = desk.service().request(RequestPayout("acc-1", TRADER, NOW, Decimal(2000), "k-1"), desk._admit)

    assert (again.payout.payout_id, again.replayed, desk.admitted) == (first.payout.payout_id, True, 1)
    with pytest.raises(InvalidInputError) as reused:
        desk.service().request(RequestPayout("acc-1", TRADER, NOW, Decimal(2500), "k-1"), desk._admit)
    assert reused.value.field == "Idempotency-Key"
    assert len(desk.publisher.published) == 1


def test_an_event_lost_to_the_bus_goes_out_with_the_repeat() -> None:
    desk = Desk.funded()
    desk.publisher.fail_next = 1
    command = RequestPayout("acc-1", TRADER, NOW, idempotency_key="k-bus")

    with pytest.raises(RuntimeError):
        desk.service().request(command, desk._admit)
    replayed = desk.service().request(command, desk._admit)

    assert replayed.replayed
    assert [e.detail_type for e in desk.publisher.published] == ["payout.requested"]


def test_refusals_carry_the_rules_reason_code_and_one_open_payout_blocks_the_next() -> None:
    with pytest.raises(PayoutRefusedError) as kyc:
        Desk.funded(kyc="pending").service().request(RequestPayout("acc-1", TRADER, NOW), lambda: None)
    with pytest.raises(PayoutAmountRefusedError) as too_much:
        Desk.funded().service().request(RequestPayout("acc-1", TRADER, NOW, Decimal("3000.01")), lambda: None)
    desk = Desk.funded()
    desk.service().request(RequestPayout("acc-1", TRADER, NOW, idempotency_key="a"), lambda: None)
    with pytest.raises(PayoutRefusedError) as pending:
        desk.service().request(RequestPayout("acc-1", TRADER, NOW, idempotency_key="b"), lambda: None)

    assert (kyc.value.code, too_much.value.code, pending.value.code) == (
        "kyc_not_approved", "amount_above_withdrawable", "payout_pending"
    )  # fmt: skip


def test_another_trader_gets_404_and_staff_may_read_but_not_request() -> None:
    desk = Desk.funded()
    stranger = Identity("trader-2", frozenset({"trader"}))

    with pytest.raises(NotFoundError):
        desk.service().preview("acc-1", stranger, NOW, None)
    with pytest.raises(NotFoundError):
        desk.service().request(RequestPayout("acc-1", stranger, NOW), lambda: None)
    with pytest.raises(ForbiddenError):
        desk.service().request(RequestPayout("acc-1", FINANCE, NOW), lambda: None)
    assert desk.service().history("acc-1", FINANCE, 10, None).items == []
    assert desk.admitted == 0


def test_finance_decides_once_audited_and_a_rejection_frees_the_account() -> None:
    desk = Desk.funded()
    payout = desk.service().request(RequestPayout("acc-1", TRADER, NOW), lambda: None).payout
    at = NOW + timedelta(hours=1)

    rejected = desk.service().decide(DecidePayout(payout.payout_id, "reject", "trades checked", FINANCE, at))
    with pytest.raises(ConflictError):
        desk.service().decide(DecidePayout(payout.payout_id, "approve", "second look", FINANCE, at))
    again = desk.service().request(RequestPayout("acc-1", TRADER, at, Decimal(1000)), lambda: None)

    assert (rejected.payout.status, rejected.replayed) == ("rejected", False)
    [entry] = desk.payouts.audit
    assert (entry.action, entry.actor, entry.actor_roles) == ("payout.rejected", "finance-1", ("finance",))
    assert (entry.before or {})["status"] == "requested"
    assert again.payout.status == "requested"
    assert [e.detail_type for e in desk.publisher.published] == [
        "payout.requested", "payout.rejected", "payout.requested"
    ]  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(["k-1", "k-2", None]), min_size=1, max_size=8))
def test_however_requests_are_repeated_an_account_holds_one_open_payout_announced_once(
    keys: list[str | None],
) -> None:
    desk = Desk.funded()
    for key in keys:
        try:
            desk.service().request(RequestPayout("acc-1", TRADER, NOW, idempotency_key=key), desk._admit)
        except PayoutRefusedError as refused:
            assert refused.code == "payout_pending"

    assert len(desk.payouts.payouts) == 1
    assert len(desk.publisher.of_type("payout.requested")) == 1
    replays = sum(1 for key in keys[1:] if key is not None and key == keys[0])
    assert desk.admitted == len(keys) - replays  # only repeats of the stored request's key are free


def test_a_hold_on_the_account_refuses_the_payout_without_saying_which_review_placed_it() -> None:
    desk = Desk.funded()
    hold = PayoutHold(
        "acc-1", "abuse", "flag-7", "copy trading ring ring-3, score 0.97", NOW - timedelta(hours=1)
    )
    desk.facts.holds["acc-1"] = [hold]

    with pytest.raises(PayoutRefusedError) as held:
        desk.service().request(RequestPayout("acc-1", TRADER, NOW), lambda: None)

    assert held.value.code == "payout_on_hold"
    assert "copy" not in str(held.value) and "flag-7" not in str(held.value)
    assert desk.publisher.published == []
