"""The platforms' own balance and equity against ours (`propdesk.platforms.reconciliation`).

Triggers: an EventBridge schedule (daily) reconciles every active account (by day-boundary group, no scan);
a direct invocation `{"account_id": "..."}` (the payout workflow, before every payout) reconciles one and
answers `{"account_id", "outcome": "agrees"|"differs"|"unavailable"|"not_checked", "agrees", "held", "stale",
"differences": [...]}` for a `Choice` state to branch on (never an error for an outcome). A difference holds
the account's payouts (source `reconciliation`) and raises one `firm.alert`; a later agreement lifts the hold.
"""

from __future__ import annotations

import functools
import os
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from propdesk.config import PlatformReconciliationSettings
from propdesk.observability import logger, metrics, observe

if TYPE_CHECKING:
    from collections.abc import Iterator

    from propdesk.platforms.reconciliation import PlatformReconciliation, ReconciliationResult
    from propdesk.services.risk_stores import ResetAccounts


@functools.cache
def production_dependencies() -> tuple[PlatformReconciliation, ResetAccounts]:
    settings = PlatformReconciliationSettings.from_env(os.environ)
    from propdesk.data.accounts import AccountRepository
    from propdesk.wiring.ingestion import platform_reconciliation

    return platform_reconciliation(settings), AccountRepository()


def process(
    event: dict[str, Any], context: LambdaContext, deps: tuple[PlatformReconciliation, ResetAccounts]
) -> dict[str, Any]:
    reconciliation, accounts = deps
    account_id = event.get("account_id")
    if isinstance(account_id, str) and account_id:
        return as_answer(reconciliation.reconcile(account_id))
    summary = reconciliation.reconcile_all(_active_accounts(accounts))
    metrics.add_metric(name="ReconciliationDifferences", unit="Count", value=len(summary.differing))
    metrics.add_metric(name="AccountsWithStaleData", unit="Count", value=len(summary.stale))
    answer = {
        "checked": summary.checked,
        "differing": summary.differing,
        "unavailable": summary.unavailable,
        "stale": summary.stale,
    }
    logger.info("platform reconciliation finished", extra={k: len(v) if isinstance(v, list) else v
                                                           for k, v in answer.items()})  # fmt: skip
    return answer


def _active_accounts(accounts: ResetAccounts) -> Iterator[str]:
    for timezone, day_starts_at in accounts.reset_groups():
        for account in accounts.active_in_reset_group(timezone, day_starts_at):
            yield account.account_id


def as_answer(result: ReconciliationResult) -> dict[str, Any]:
    return {
        "account_id": result.account_id,
        "outcome": result.outcome,
        "agrees": result.agrees,
        "held": result.held,
        "stale": result.stale,
        "checked_at": result.checked_at.isoformat(),
        "detail": result.detail,
        "differences": [
            {"figure": d.figure, "ours": d.ours, "theirs": d.theirs, "allowed": d.allowed}
            for d in result.differences
        ],
    }


@observe
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process(event, context, production_dependencies())
