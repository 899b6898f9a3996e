"""A scaled account grows, end to end: a scaling decision kept for an account on Match-Trader and its
`account.scaled` on the stack's bus (as the daily reviews keep and publish them) reach the deployed
scaling_growth function through its rule and queue; the account's balance grows on the fake Match-Trader
(once, under the decision's reference), its size in the table, and the risk engine (risk_recalc, from the
table's stream) takes its limits on the new size."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from fakes.match_trader import FakeMatchTrader
from tests.e2e.harness import DeployedStack, eventually, publish
from tests.e2e.platform_cloud import connected_match_trader, open_placed_account

# Run alone, this test also pays for deploying the session's stack.
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]


@pytest.fixture(scope="module")
def match_trader(stack: DeployedStack) -> Iterator[FakeMatchTrader]:
    with connected_match_trader(stack) as fake:
        yield fake


def test_a_scaled_account_grows_on_match_trader_in_the_table_and_in_the_engine(
    stack: DeployedStack, match_trader: FakeMatchTrader
) -> None:
    from propdesk.data.accounts import AccountRepository
    from propdesk.data.risk import RiskStateRepository
    from propdesk.data.scaling import ScalingRepository
    from propdesk.payouts.scaling import AccountTerms
    from propdesk.payouts.scaling_store import StoredDecision, scaling_id
    from propdesk.records import AuditEntry

    account_id = f"e2e-scale-{uuid.uuid4().hex[:8]}"
    now = datetime.now(UTC).replace(microsecond=0)
    account = open_placed_account(stack, match_trader, account_id, now - timedelta(minutes=5))
    login = account.platform.login
    cycle = now.date() - timedelta(days=1)
    terms = AccountTerms(Decimal("125000.00"), Decimal(100000), Decimal(5), Decimal(10), Decimal(90))
    ScalingRepository().record(
        StoredDecision(account_id, cycle, True, terms, "every criterion was met", now),
        AuditEntry(
            entry_id=uuid.uuid4().hex, at=now, actor="system:scaling-plan", action="account.scaled",
            subject=f"ACCOUNT#{account_id}", reason="every criterion was met",
        ),
    )  # fmt: skip

    publish(stack, _scaled(account_id, account.trader_id, cycle, now))

    try:
        eventually(lambda: _balance(match_trader, login) == Decimal(125000), timeout=180)
    except AssertionError as nothing:
        from tests.e2e.test_platform_enforcement import function_log

        raise AssertionError(
            f"not grown; scaling_growth said:\n{function_log(stack, 'scaling-growth')}"
        ) from nothing
    stored = eventually(lambda: (a := AccountRepository().get(account_id, consistent=True)) and a, timeout=30)
    assert stored.initial_balance == Decimal(125000)
    reference = f"[propdesk:{scaling_id(account_id, cycle)}:scaling]"
    book = match_trader.market.account(login)
    assert book is not None
    assert [d.profit for d in book.deals if d.kind == "balance" and reference in d.comment] == [
        Decimal(25000)
    ]

    def engine_grown() -> dict[str, Any] | None:
        snapshot = RiskStateRepository().get(account_id)
        metrics = snapshot.evaluation["metrics"] if snapshot else {}
        return metrics if metrics.get("balance") == "125000.00" else None

    metrics = eventually(engine_grown, timeout=120)
    assert metrics["max_loss_floor"] == "112500.00"  # 10% of the new size under it
    assert metrics["profit"] == "0.00"  # the growth is not profit


def _scaled(account_id: str, trader_id: str, cycle: Any, at: datetime) -> Any:
    from propdesk.domain_events import AccountScaled
    from propdesk.payouts.scaling_store import scaling_id

    return AccountScaled(
        event_id=scaling_id(account_id, cycle),
        occurred_at=at,
        account_id=account_id,
        trader_id=trader_id,
        balance_before=Decimal("100000.00"),
        balance_after=Decimal("125000.00"),
        daily_loss=Decimal("6250.00"),
        max_loss=Decimal("12500.00"),
        split_percent=Decimal(90),
        cycle_ends_on=cycle,
        next_review_on=cycle + timedelta(days=120),
        explanation="every criterion was met",
    )


def _balance(fake: FakeMatchTrader, login: str) -> Decimal | None:
    book = fake.market.account(login)
    return None if book is None else book.balance
