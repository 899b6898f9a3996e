"""KYC cases written straight into the table, for tests of features that read a trader's KYC status."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from propdesk.data.kyc import DynamoKycCaseStore
from propdesk.kyc.case import KycPolicy, Need, open_case


def seed_kyc_case(trader_id: str, status: str, at: datetime) -> None:
    """A case as the status names it: `pending` (open: it waits for its first session), or concluded
    (`approved`, `declined`, `expired`) by the provider at `at`."""
    case = open_case(None, trader_id, Need("funded", "seeded"), KycPolicy(), at).case
    if status != "pending":
        case = replace(case, status=status, needs=(), decided_at=at, decided_by="provider")  # type: ignore[arg-type]
    DynamoKycCaseStore().save(case, 0)
