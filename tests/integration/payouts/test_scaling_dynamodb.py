"""The scaling plan's decisions in DynamoDB Local: one per account and cycle, kept with its audit entry in one
write (a second write of the same cycle is refused), the latest read back as it was kept."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from propdesk.data.audit import AuditLog
from propdesk.data.scaling import ScalingRepository
from propdesk.payouts.scaling import AccountTerms
from propdesk.payouts.scaling_store import StoredDecision
from propdesk.records import AuditEntry

from tests.integration.dynamodb_local import TableNames
from tests.integration.payouts.payout_world import NOW

pytestmark = pytest.mark.integration


def decision(account_id: str, ends_on: date, balance: str) -> StoredDecision:
    terms = AccountTerms(Decimal(balance), Decimal(400000), Decimal(5), Decimal(10), Decimal(90))
    return StoredDecision(account_id, ends_on, True, terms, "every criterion was met", NOW)


def entry(entry_id: str, account_id: str) -> AuditEntry:
    return AuditEntry(
        entry_id=entry_id, at=NOW, actor="system:scaling-plan", actor_roles=(), action="account.scaled",
        subject=f"ACCOUNT#{account_id}", reason="every criterion was met", before={}, after={},
    )  # fmt: skip


def test_a_cycle_is_kept_once_with_its_audit_entry_and_the_latest_is_read_back(
    tables: TableNames, unique_id: str
) -> None:
    account_id = f"acc-{unique_id}"
    store = ScalingRepository()

    first = store.record(
        decision(account_id, date(2026, 5, 9), "500000.00"), entry(f"{unique_id}-1", account_id)
    )
    again = store.record(
        decision(account_id, date(2026, 5, 9), "625000.00"), entry(f"{unique_id}-2", account_id)
    )
    store.record(decision(account_id, date(2026, 9, 9), "625000.00"), entry(f"{unique_id}-3", account_id))

    assert (first, again) == (True, False)
    latest = store.latest(account_id)
    assert latest is not None and latest.cycle_ends_on == date(2026, 9, 9)
    assert latest.after.balance == Decimal("625000.00") and latest.after.split_percent == Decimal(90)
    audited = AuditLog().for_subject(f"ACCOUNT#{account_id}").items
    assert sorted(e.entry_id for e in audited) == [f"{unique_id}-1", f"{unique_id}-3"]
    assert store.latest(f"none-{unique_id}") is None
