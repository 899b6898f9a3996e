"""Production wiring of the abuse functions' enforcement (apart from signal capture: the functions that only
capture signals never load, nor may publish, what a decision does)."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from propdesk.abuse.enforcement import Enforcer
    from propdesk.abuse.store import TraderLookup
    from propdesk.config import PayoutPlatformSettings
    from propdesk.ports import Clock


def enforcer(
    event_bus_name: str, traders: TraderLookup, clock: Clock, payout_platform: PayoutPlatformSettings
) -> Enforcer:
    """The production `Enforcer` of the abuse functions: payout holds and payouts in the main table (the
    denial resumes a payout workflow waiting for approval, and puts back a withdrawal the platform booked
    for a payout it denies: `payout_platform`), account statuses and their audit entries, the platform
    commands and the abuse events on the bus."""
    from propdesk.abuse.enforcement import EnforcementPorts, Enforcer
    from propdesk.abuse.payout_denial import PayoutDenial
    from propdesk.adapters.eventbridge import EventBridgePublisher
    from propdesk.adapters.platform import EventBusAccountControl
    from propdesk.adapters.secrets import SecretsManagerSource
    from propdesk.adapters.stepfunctions import StepFunctionsCallback
    from propdesk.data.accounts import AccountRepository
    from propdesk.data.audit import AuditLog
    from propdesk.data.payout_holds import PayoutHoldRepository
    from propdesk.data.payouts import PayoutRepository
    from propdesk.wiring.payouts import StartedWithdrawalsOnFirstUse

    publisher = EventBridgePublisher(event_bus_name)
    put_back = StartedWithdrawalsOnFirstUse(payout_platform, SecretsManagerSource())
    denial = PayoutDenial(
        PayoutRepository(), publisher, StepFunctionsCallback(), lambda: uuid.uuid4().hex, put_back
    )
    ports = EnforcementPorts(AccountRepository(), AuditLog(), denial, publisher)
    control = EventBusAccountControl(publisher, clock)
    return Enforcer(PayoutHoldRepository(), control, traders, clock.now, ports)
