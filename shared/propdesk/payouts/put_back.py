"""A withdrawal the platform may have booked for a payout that ended without knowing it.

The `withdraw` step records on the payout that its withdrawal started (`Payout.withdrawal_started_at`, its own
conditional write) before asking the platform; only then does the platform book `<payout>:withdrawal`, and
only after that is `withdrawn` written. A step that dies in between leaves a booking the payout does not know
of; if a hold, an abuse denial or a failure then ends the payout (rejected, failed) instead of a retry
writing `withdrawn`, that money has left the account and would be neither paid nor put back.

So every path that ends a payout whose withdrawal started asks `StartedWithdrawals.put_back`: it reads the
platform's balance operations through the port (`TradingPlatform.deals`, which reports each of ours with its
`our_reference`) and, when the withdrawal stands, puts it back with the compensation every failure after a
withdrawal uses (`<payout>:compensation`: the platform books a reference once, so however many paths and
retries ask, the amount goes back exactly once). The engine is told nothing either way: it only learns of a
withdrawal at `withdrawn`, which such a payout never reached, and both bookings are ours (no engine event).

A platform can book the withdrawal after every look-up (a request it queued): the account then holds less than
our figures by exactly that amount. Reconciliation asks `LateWithdrawals.put_back` when it finds a difference:
every payout of the account still in doubt is looked up again, and a booking found is put back the same way.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Literal, Protocol

from propdesk.payouts.model import Payout
from propdesk.platforms.references import account_ref

if TYPE_CHECKING:
    from propdesk.payouts.ports import PlatformRefs
    from propdesk.platforms.port import AccountRef, TradingPlatform
    from propdesk.ports import Clock
    from propdesk.records import Account

# put_back: booked back now; already_put_back: the compensation was booked before (by any path)
PutBack = Literal["nothing_started", "not_booked", "put_back", "already_put_back"]
ENDED = frozenset({"rejected", "failed"})
# How far around the start and now the platform's history is read: the platform's clock is not ours.
LOOK_AROUND = timedelta(days=1)


def withdrawal_reference(payout_id: str) -> str:
    return f"{payout_id}:withdrawal"


def compensation_reference(payout_id: str) -> str:
    return f"{payout_id}:compensation"


def withdrawal_in_doubt(payout: Payout) -> bool:
    """The payout ended (rejected, failed) after its withdrawal started and before `withdrawn` was written:
    the platform may hold a booking the payout never recorded."""
    return (
        payout.status in ENDED
        and payout.withdrawal_started_at is not None
        and payout.amount > 0
        and not any(step.status == "withdrawn" for step in payout.timeline)
    )


class StartedWithdrawals:
    def __init__(self, platform: TradingPlatform, refs: PlatformRefs, clock: Clock) -> None:
        self._platform = platform
        self._refs = refs
        self._clock = clock

    def put_back(self, payout: Payout) -> PutBack:
        """Put the payout's withdrawal back on the account if the platform booked it (once, see above);
        `PlatformUnavailableError` is raised (the caller is retried)."""
        if not withdrawal_in_doubt(payout) or payout.withdrawal_started_at is None:
            return "nothing_started"
        ref = self._refs.platform_ref(payout.account_id)
        if ref is None:  # the withdrawal starts only for an account on a platform
            return "not_booked"
        since = payout.withdrawal_started_at - LOOK_AROUND
        ours = {
            deal.our_reference
            for deal in self._platform.deals(ref, since, self._clock.now() + LOOK_AROUND)
            if deal.kind == "balance" and deal.our_reference
        }
        payout_id = payout.payout_id
        if withdrawal_reference(payout_id) not in ours:
            return "not_booked"
        if compensation_reference(payout_id) in ours:
            return "already_put_back"
        self._platform.adjust_balance(
            ref, payout.amount, compensation_reference(payout_id),
            f"payout {payout_id} ended before its withdrawal was recorded: put back",
        )  # fmt: skip
        return "put_back"


class AccountPayouts(Protocol):
    def all_for_account(self, account_id: str) -> list[Payout]: ...


class LateWithdrawals:
    """Withdrawals the platform booked after their payout ended and after every look-up (see above)."""

    def __init__(self, payouts: AccountPayouts, clock: Clock) -> None:
        self._payouts = payouts
        self._clock = clock

    def put_back(self, account: Account, platform: TradingPlatform) -> tuple[str, ...]:
        """The payouts of `account` whose withdrawal the platform had booked and that were put back now;
        `PlatformUnavailableError` is raised (the caller tries again later)."""
        if account.platform is None:
            return ()
        refs = _OneAccount(account.account_id, account_ref(account.platform))
        started = StartedWithdrawals(platform, refs, self._clock)
        in_doubt = [p for p in self._payouts.all_for_account(account.account_id) if withdrawal_in_doubt(p)]
        return tuple(payout.payout_id for payout in in_doubt if started.put_back(payout) == "put_back")


class _OneAccount:
    """`PlatformRefs` for the one account reconciliation holds."""

    def __init__(self, account_id: str, ref: AccountRef) -> None:
        self._account_id = account_id
        self._ref = ref

    def platform_ref(self, account_id: str) -> AccountRef | None:
        return self._ref if account_id == self._account_id else None
