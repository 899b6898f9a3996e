"""The outbox sweep: performs the risk outbox's effects that no step of their account is coming to perform.

A recalculation writes its snapshot with the effects it commits to, then performs them
(`propdesk.services.risk_outbox`). When performing them fails and the stream record's retries run out (the
record goes to the on-failure queue), or the function dies after the write, they used to wait for the
account's next step: its next event, a redelivery, its next day boundary. Meanwhile a failed account could
keep trading on its platform for hours. The sweep closes that gap: every minute it lists the snapshots whose
outbox is not empty (a sparse index: no scan) and settles each one whose effects were committed to at least
`GRACE` ago, through the same code path as the account's next step (`RiskService.settle_pending`, i.e.
`Outbox.settle`).

- Exactly once where it counts: every effect lands idempotently (conditional evidence and status writes,
  stable event ids), and clearing the outbox is conditional on the snapshot's version, so a step that wrote
  meanwhile (and performed them first) makes the sweep's clear a no-op (`VersionConflictError`: counted as
  done by that step).
- `GRACE` leaves a fresh outbox to the step that wrote it (still performing it, or about to be delivered
  again): longer than `risk_recalc`'s 60 s timeout, so a sweep and the writing step rarely overlap (if they
  do, idempotence holds).
- An account whose effects fail again is left pending for the next run (its failure counted); one whose
  effects are older than `OVERDUE_AFTER` is reported overdue (an alarm): the sweep has been failing on it for
  several runs, or not running.
- At most `limit` accounts a run, oldest first; the rest wait for the next run (reported as `left`).

The same sweep settles the abuse decisions' outboxes (`functions/abuse_outbox_sweep`: the pending list is
the flags', `account_id` is then a flag id, the settler `propdesk.abuse.outbox.DecisionOutbox`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from propdesk.errors import VersionConflictError
from propdesk.observability import logger, metrics
from propdesk.ports import Clock
from propdesk.services.risk_stores import PendingOutboxes

GRACE = timedelta(minutes=2)
OVERDUE_AFTER = timedelta(minutes=10)
MAX_ACCOUNTS_PER_RUN = 200


class PendingSettler(Protocol):
    def settle_pending(self, account_id: str) -> bool:
        """Perform what the account's snapshot still owes and clear it; False when it owed nothing."""
        ...


@dataclass(frozen=True, slots=True)
class SweepReport:
    found: int  # accounts the index lists with effects pending
    waiting: int  # of those, committed to less than the grace ago: left to their own step
    settled: tuple[str, ...] = ()  # accounts whose effects this run performed
    already_done: int = 0  # nothing pending when read, or a step wrote meanwhile (it performed them)
    failed: tuple[str, ...] = ()  # accounts whose effects failed again: still pending, the next run retries
    overdue: tuple[str, ...] = ()  # accounts whose effects were pending longer than OVERDUE_AFTER
    oldest: timedelta | None = None  # the age of the oldest pending outbox found
    left: int = 0  # due, but beyond this run's limit


def report_sweep(
    report: SweepReport, what: str, metric_names: tuple[str, str, str, str]
) -> dict[str, object]:
    """The run's metrics (`metric_names`: the oldest pending's age, then the counts settled, failed again and
    overdue; the alarms watch the last two) and its log line; returns the summary the function answers."""
    oldest_name, *count_names = metric_names
    oldest = 0.0 if report.oldest is None else report.oldest.total_seconds()
    metrics.add_metric(name=oldest_name, unit="Seconds", value=oldest)
    for name, found in zip(count_names, (report.settled, report.failed, report.overdue), strict=True):
        if found:  # failed: still pending, the next run tries again
            metrics.add_metric(name=name, unit="Count", value=len(found))
    summary: dict[str, object] = {
        "found": report.found,
        "waiting": report.waiting,
        "settled": list(report.settled),  # accounts (risk) or flags (abuse)
        "already_done": report.already_done,
        "failed": list(report.failed),
        "overdue": list(report.overdue),
        "oldest_seconds": oldest,
        "left": report.left,
    }
    logger.info(what, extra=summary)
    return summary


class OutboxSweep:
    def __init__(
        self,
        pending: PendingOutboxes,
        settler: PendingSettler,
        clock: Clock,
        grace: timedelta = GRACE,
        overdue_after: timedelta = OVERDUE_AFTER,
        limit: int = MAX_ACCOUNTS_PER_RUN,
    ) -> None:
        self._pending = pending
        self._settler = settler
        self._clock = clock
        self._grace = grace
        self._overdue_after = overdue_after
        self._limit = limit

    def run(self) -> SweepReport:
        now = self._clock.now()
        found = sorted(self._pending.pending_outboxes(), key=lambda entry: (entry.since, entry.account_id))
        due = [entry for entry in found if now - entry.since >= self._grace]
        settled: list[str] = []
        failed: list[str] = []
        already_done = 0
        for entry in due[: self._limit]:
            try:
                if self._settler.settle_pending(entry.account_id):
                    settled.append(entry.account_id)
                else:
                    already_done += 1
            except VersionConflictError:
                already_done += 1  # a step wrote meanwhile: it performed them before its own
            except Exception:
                logger.exception(
                    "the account's pending effects failed again", extra={"account_id": entry.account_id}
                )
                failed.append(entry.account_id)
        return SweepReport(
            found=len(found),
            waiting=len(found) - len(due),
            settled=tuple(settled),
            already_done=already_done,
            failed=tuple(failed),
            overdue=tuple(e.account_id for e in found if now - e.since >= self._overdue_after),
            oldest=now - found[0].since if found else None,
            left=max(0, len(due) - self._limit),
        )
