"""The stream consumer's use case: one stored trading event (or identity signal) through the detectors, once.

    detection = AbuseDetection(state, flags, enforcer, monitor_of, traders, clock)
    report = detection.on_event(AbuseInput.from_stored(stored))

Guarantees:
- *Once per event*: an event whose mark is in the state is skipped; the detectors' writes and the mark are
  committed together (`AbuseState.commit`), so a redelivery after a crash either finds the mark or finds
  none of the event's writes.
- *Few requests*: the mark and the items the event is known to read first (`AbuseMonitor.first_reads`) are
  read in one batch; only items named inside items are read one by one; one transaction commits.
- *One writer per item*: a session whose reads went stale meanwhile is refused whole and the event is run
  again on fresh reads (up to `attempts` times; then the error reaches the batch as a failed record).
- Flags are stored before the state is committed: a crash in between redelivers the event, which computes
  the same flags from the same state, and storing a flag twice is harmless (`reconcile`).
- Each new or updated open flag holds the payouts of the accounts it names, and a flag that opens (new, or
  a decided one reopened graver) is announced (`abuse.flag_raised`); a decided flag is reopened only
  when the detection is graver (`reconcile`); where the firm turned on automatic enforcement for the
  detector and the flag is grave enough, the decision is taken at once, audited like a staff decision,
  and stored with its effects (the flag's outbox: a crash before they are carried out leaves them to the
  outbox sweep).
- A flag that absorbed others (two rings found to be one) closes them (`superseded`) once its holds are
  placed: they leave the queue and hold nothing more.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from propdesk.abuse.decisions import Enforcement, on_detection
from propdesk.abuse.enforcement import Enforcer
from propdesk.abuse.feeds import Quote
from propdesk.abuse.flags import Flag, reconcile
from propdesk.abuse.inputs import AbuseEvent
from propdesk.abuse.monitor import AbuseMonitor
from propdesk.abuse.orders import ORDER_TYPE, parse_order
from propdesk.abuse.outbox import DecisionOutbox
from propdesk.abuse.state import KeyedState
from propdesk.abuse.store import AbuseState, FlagStore, StateConflictError, TraderLookup
from propdesk.errors import NotFoundError
from propdesk.ports import Clock
from propdesk.records import AuditEntry, StoredEvent

PRICE_FIELDS = ("price", "open_price", "close_price")
QUOTE_FIELDS = ("feed_bid", "feed_ask")  # the platform feed's quote at the fill instant
AUTOMATIC_ACTOR = "system:abuse_detect"


@dataclass(frozen=True, slots=True)
class AbuseInput:
    """One event for the detectors: `trader_id` None when the caller does not know it (looked up)."""

    event: AbuseEvent
    event_id: str
    account_id: str
    trader_id: str | None = None
    price: Decimal | None = None
    quote: Quote | None = None

    @classmethod
    def from_stored(cls, stored: StoredEvent) -> AbuseInput:
        """A stored trading event: the engine's event, with the fill price the platform reported."""
        from propdesk.engine import parse_event  # the engine: loaded with the first record

        payload: dict[str, Any] = dict(stored.payload)
        payload.setdefault("event_id", stored.event_id)
        if stored.type == ORDER_TYPE:  # a pending order: its price is the order's, not a fill's
            return cls(parse_order(payload), f"{stored.account_id}/{stored.event_id}", stored.account_id)
        price = next((payload[name] for name in PRICE_FIELDS if payload.get(name) is not None), None)
        ignored = (*PRICE_FIELDS, *QUOTE_FIELDS)
        event = parse_event({key: value for key, value in payload.items() if key not in ignored})
        bid, ask = (payload.get(name) for name in QUOTE_FIELDS)
        quote = Quote(Decimal(str(bid)), Decimal(str(ask))) if bid is not None and ask is not None else None
        fill = None if price is None else Decimal(str(price))
        # the once-mark names the account: a platform's deal ids are unique per account, not across them
        # (two accounts' events with one id were taken as one, and the second was never detected)
        return cls(event, f"{stored.account_id}/{stored.event_id}", stored.account_id, None, fill, quote)


@dataclass(frozen=True, slots=True)
class DetectionReport:
    duplicate: bool
    flags: tuple[Flag, ...] = ()
    attempts: int = 1


class UnknownAccountError(NotFoundError):
    code = "account_not_found"


class AbuseDetection:
    def __init__(
        self,
        state: AbuseState,
        flags: FlagStore,
        enforcer: Enforcer,
        monitor_of: Callable[[KeyedState], AbuseMonitor],
        traders: TraderLookup,
        clock: Clock,
        new_id: Callable[[], str],
        attempts: int = 3,
    ) -> None:
        self._state = state
        self._recorder = FlagRecorder(flags, enforcer, clock, new_id)
        self._monitor_of = monitor_of
        self._traders = traders
        self._clock = clock
        self._attempts = attempts

    def on_event(self, item: AbuseInput) -> DetectionReport:
        trader = item.trader_id or self._trader(item.account_id)
        for attempt in range(1, self._attempts + 1):
            session = self._state.session()
            monitor = self._monitor_of(session)
            first = monitor.first_reads(item.event, item.account_id, trader)
            if self._state.prefetch(session, item.event_id, first):
                return DetectionReport(duplicate=True, attempts=attempt)
            found = monitor.observe(item.event, item.account_id, trader, item.price, item.quote)
            for flag in found:
                self._recorder.record(flag, monitor)
            try:
                if not self._state.commit(session, item.event_id, self._clock.now()):
                    return DetectionReport(duplicate=True, attempts=attempt)
            except StateConflictError:
                if attempt == self._attempts:
                    raise
                continue
            return DetectionReport(duplicate=False, flags=tuple(found), attempts=attempt)
        raise AssertionError("unreachable")  # pragma: no cover

    def _trader(self, account_id: str) -> str:
        if not account_id:
            raise UnknownAccountError("a trading event without an account", "account_id")
        trader = self._traders.trader_of(account_id)
        if trader is None:
            raise UnknownAccountError(f"no account {account_id!r}", "account_id")
        return trader


class FlagRecorder:
    """A detection into the flag store: reconciled with the stored flag, automatic enforcement applied and
    audited, the outcome's effects carried out (the stream and the deep pass alike). An automatic decision
    is stored with its effects (the flag's outbox, `propdesk.abuse.outbox`), so a crash before they are
    carried out leaves them to the outbox sweep. A flag that absorbed others (`supersedes`) closes them
    once its own holds are placed (`DecisionOutbox.close_absorbed`)."""

    def __init__(self, flags: FlagStore, enforcer: Enforcer, clock: Clock, new_id: Callable[[], str]) -> None:
        self._flags = flags
        self._enforcer = enforcer
        self._clock = clock
        self._new_id = new_id
        self._outbox = DecisionOutbox(flags, enforcer, new_id)

    def record(self, detected: Flag, monitor: AbuseMonitor) -> None:
        stored = self._flags.get(detected.flag_id)
        merged = reconcile(stored, detected)
        if stored is not None and merged == stored:
            if stored.is_open:  # a redelivery after a crash before the holds: placing again is harmless
                self._enforcer.apply(on_detection(stored, Enforcement()))
                self._close_absorbed(stored)
            return  # a decided flag the detection does not make graver: it stays decided
        outcome = monitor.outcome(merged)
        if stored is None or not stored.is_open:
            # announced before it is stored: a crash in between announces it again (same event id)
            self._enforcer.raised(merged)
        if outcome.decision is None:
            self._flags.save(outcome.flag, detected)
            self._enforcer.apply(outcome)
            self._close_absorbed(outcome.flag)
            return
        now = self._clock.now()
        entry = AuditEntry(
            entry_id=self._new_id(),
            at=now,
            actor=AUTOMATIC_ACTOR,
            action="abuse_flag_decided",
            subject=f"FLAG#{merged.flag_id}",
            reason=outcome.reason,
            before={"status": merged.status},
            after={"status": outcome.flag.status, "decision": str(outcome.decision), "by": "automatic"},
        )
        pending = self._outbox.pending_for(outcome, now)
        self._flags.save(outcome.flag, detected, entry, pending)
        self._outbox.carry_out_now(merged.flag_id, pending, outcome)
        self._close_absorbed(outcome.flag)

    def _close_absorbed(self, survivor: Flag) -> None:
        if survivor.supersedes:
            self._outbox.close_absorbed(survivor, self._clock.now())
