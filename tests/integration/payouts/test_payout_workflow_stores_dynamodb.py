"""The payout workflow's stores in DynamoDB Local: a move is written once per revision (a stale writer loses),
audited in the same transaction, and releases the account's open-payout lock when the payout stops being
open; task tokens and rail payment links are kept beside the payout; a trader's destination is stored once
and read back through the same validation, masked."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest
from propdesk.data.events import TradingEventRepository
from propdesk.data.orders import OrderRepository
from propdesk.data.payout_destinations import PayoutDestinationRepository
from propdesk.data.payout_facts import PayoutFactsReader
from propdesk.data.payouts import PayoutRepository
from propdesk.data.progression import ProgressionRepository
from propdesk.payouts.extras import TradeRisk
from propdesk.payouts.model import Extra, Payout, moved
from propdesk.payouts.store import OpenPayoutError, PayoutMovedError
from propdesk.rails.destinations import PayoutDestination, iban_account, stablecoin_wallet
from propdesk.records import AuditEntry, StoredEvent

from tests.integration.dynamodb_local import TableNames
from tests.integration.payouts.payout_world import NOW
from tests.unit.purchases.builders import order

pytestmark = pytest.mark.integration


def a_payout(unique_id: str) -> Payout:
    return Payout(
        payout_id=f"pay_{unique_id}", account_id=f"acc-{unique_id}", trader_id=f"trader-{unique_id}",
        status="requested", currency="USD", amount=Decimal("1000.00"), trader_share=Decimal("800.00"),
        firm_share=Decimal("200.00"), requested_at=NOW,
    )  # fmt: skip


def entry(unique_id: str, action: str) -> AuditEntry:
    return AuditEntry(
        entry_id=f"{unique_id}-{action}", at=NOW, actor="system:payout-workflow", actor_roles=(),
        action=action, subject=f"ACCOUNT#acc-{unique_id}", reason="test", before={}, after={},
    )  # fmt: skip


def test_each_move_is_written_once_per_revision_and_the_last_one_releases_the_lock(
    tables: TableNames, unique_id: str
) -> None:
    payouts = PayoutRepository()
    requested = payouts.create(a_payout(unique_id))
    approved = moved(requested, "approved", NOW, decided_by="system:payout-workflow", approvals=("a",))
    withdrawn = moved(approved, "withdrawn", NOW + timedelta(seconds=1))

    payouts.update(approved, entry(unique_id, "payout.approved"))
    with pytest.raises(PayoutMovedError):
        payouts.update(approved, entry(unique_id, "payout.approved-again"))  # a stale writer
    payouts.update(withdrawn, entry(unique_id, "payout.withdrawn"))
    another = Payout(**{**_fields(a_payout(unique_id)), "payout_id": f"pay_{unique_id}-2"})  # type: ignore[arg-type]
    with pytest.raises(OpenPayoutError):  # still open: another request is refused
        payouts.create(another)
    paying = moved(withdrawn, "paying", NOW, rail="bridge", destination="0x5290…9EE7")
    paid = moved(paying, "paid", NOW + timedelta(minutes=3), rail_reference="tr_1", fees=Decimal("1.50"),
                 paid_amount=Decimal("798.50"))  # fmt: skip
    payouts.update(paying)
    payouts.update(paid, entry(unique_id, "payout.paid"))

    stored = payouts.get(requested.payout_id)
    assert stored is not None
    assert (stored.status, stored.revision, stored.approvals) == ("paid", 4, ("a",))
    assert [step.status for step in stored.timeline] == ["approved", "withdrawn", "paying", "paid"]
    assert stored.timeline[-1].at == NOW + timedelta(minutes=3)
    assert (stored.rail_reference, stored.fees, stored.paid_amount) == (
        "tr_1",
        Decimal("1.50"),
        Decimal("798.50"),
    )
    assert payouts.open_payout_id(requested.account_id) is None  # the account may ask again
    assert requested.payout_id in {p.payout_id for p in payouts.in_status("paid", limit=100).items}


def test_tokens_and_rail_links_are_kept_beside_the_payout(tables: TableNames, unique_id: str) -> None:
    payouts = PayoutRepository()
    payout = payouts.create(a_payout(unique_id))

    assert payouts.hold_token(payout.payout_id, "payment", "token-1")
    assert payouts.hold_token(payout.payout_id, "payment", "token-2")  # a retry's new token replaces it
    assert not payouts.hold_token(f"missing-{unique_id}", "payment", "token-3")
    payouts.link_rail_payment("wise", f"tr-{unique_id}", payout.payout_id)

    assert payouts.token(payout.payout_id, "payment") == "token-2"
    assert payouts.token(payout.payout_id, "approval") is None
    assert payouts.payout_for_rail_payment("wise", f"tr-{unique_id}") == payout.payout_id
    assert payouts.payout_for_rail_payment("bridge", f"tr-{unique_id}") is None
    assert payouts.get(payout.payout_id) == payout  # keeping a token changes nothing on the payout


@pytest.mark.parametrize(
    "details",
    [
        stablecoin_wallet("USDC", "ethereum", "0x52908400098527886E0F7030069857D2E4169EE7"),
        iban_account("Jane Trader", "DE89370400440532013000", "EUR", "COBADEFFXXX"),
    ],
)
def test_a_destination_is_stored_once_per_trader_and_read_back_validated(
    tables: TableNames, unique_id: str, details: object
) -> None:
    destinations = PayoutDestinationRepository()
    trader = f"trader-{unique_id}"
    kept = PayoutDestination(f"dst-{unique_id}", trader, details, NOW, verified_at=NOW)  # type: ignore[arg-type]

    destinations.put(kept)

    assert destinations.get(trader) == kept
    assert destinations.get(f"other-{unique_id}") is None
    shown = repr(destinations.get(trader))
    assert "0532013000" not in shown and "0x52908400098527886E0F7030069857D2E4169EE7" not in shown


def _fields(payout: Payout) -> dict[str, object]:
    return {name: getattr(payout, name) for name in payout.__dataclass_fields__}


def test_the_extras_paid_with_a_payout_are_kept_with_it(tables: TableNames, unique_id: str) -> None:
    refund = Extra("fee_refund", Decimal("540.00"), "payout number 1 refunds the fee")
    payouts = PayoutRepository()

    payouts.create(replace(a_payout(unique_id), extras=(refund,)))

    stored = payouts.get(f"pay_{unique_id}")
    assert stored is not None and stored.extras == (refund,) and stored.to_pay == Decimal("1340.00")


def test_the_fee_paid_is_the_order_that_opened_the_chains_first_account(
    tables: TableNames, unique_id: str
) -> None:
    trader, phase_1, funded = f"trader-{unique_id}", f"p1-{unique_id}", f"funded-{unique_id}"
    OrderRepository().create(order("provisioned", f"ord-{unique_id}", trader_id=trader, account_id=phase_1,
                                   amount_paid=Decimal("486.00")))  # fmt: skip
    OrderRepository().create(order("provisioned", f"other-{unique_id}", trader_id=trader, account_id="x"))
    ProgressionRepository().link(f"p2-{unique_id}", phase_1)
    ProgressionRepository().link(funded, f"p2-{unique_id}")

    facts = PayoutFactsReader()

    assert facts.fee_paid(funded, trader) == Decimal("486.00")
    assert facts.fee_paid(f"unknown-{unique_id}", trader) is None


def test_the_challenge_is_the_funded_accounts_predecessor_and_each_close_keeps_its_stop_loss(
    tables: TableNames, unique_id: str
) -> None:
    """What the challenge-phase share and the breach share are computed from (`propdesk.payouts.shares`)."""
    funded, challenge = f"funded-{unique_id}", f"p2-{unique_id}"
    ProgressionRepository().link(funded, challenge)
    events = TradingEventRepository()
    fills = [
        ("o1", "position_opened", {"position_id": "p1", "symbol": "EURUSD", "side": "buy", "volume": "1",
                                   "stop_loss": "1.05"}),
        ("o2", "position_opened", {"position_id": "p2", "symbol": "EURUSD", "side": "buy", "volume": "1"}),
        ("c1", "position_closed", {"position_id": "p1", "profit": "12000.00"}),
        ("c2", "position_closed", {"position_id": "p2", "profit": "-900.00"}),
    ]  # fmt: skip
    for minute, (event_id, kind, payload) in enumerate(fills):
        at = NOW + timedelta(minutes=minute)
        body = {"event_id": event_id, "time": at.isoformat(), "type": kind, **payload}
        events.record(StoredEvent(funded, event_id, at, kind, body, ""), received_at=at)

    facts = PayoutFactsReader()

    assert facts.previous_account(funded) == challenge and facts.previous_account(challenge) is None
    assert facts.trade_risks(funded) == [
        TradeRisk("p1", True, Decimal("12000.00")), TradeRisk("p2", False, Decimal("-900.00"))
    ]  # fmt: skip
