"""The abuse functions' `Enforcer` over the real tables (holds, payouts, accounts, audit), with the bus, the
platform and the payout workflow's callback in memory (what tests observe)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime

from propdesk.abuse.enforcement import EnforcementPorts, Enforcer
from propdesk.abuse.payout_denial import PayoutDenial
from propdesk.abuse.store import TraderLookup
from propdesk.data.accounts import AccountRepository
from propdesk.data.audit import AuditLog
from propdesk.data.payout_holds import PayoutHoldRepository
from propdesk.data.payouts import PayoutRepository
from propdesk.ports import AccountControl

from tests.doubles.payouts import RecordingPutBacks
from tests.doubles.ports import InMemoryEventPublisher, InMemoryWorkflowCallback


def dynamo_enforcer(
    control: AccountControl,
    traders: TraderLookup,
    now: Callable[[], datetime],
    publisher: InMemoryEventPublisher | None = None,
    callback: InMemoryWorkflowCallback | None = None,
) -> Enforcer:
    bus = publisher if publisher is not None else InMemoryEventPublisher()
    answers = callback if callback is not None else InMemoryWorkflowCallback()
    denial = PayoutDenial(PayoutRepository(), bus, answers, lambda: uuid.uuid4().hex, RecordingPutBacks())
    ports = EnforcementPorts(AccountRepository(), AuditLog(), denial, bus)
    return Enforcer(PayoutHoldRepository(), control, traders, now, ports)
