"""After the money moves: open the trading account once, and disable, suspend or reinstate it when the
purchase is refunded, disputed or the dispute is won.

Never twice: a worker first takes a lease on the order (a conditional write), then looks for an account
carrying the order's reference on the platform before creating one, so an attempt that died after creating
the account is completed by the next one instead of repeated. Never lost: a failed attempt releases the
lease and raises, so the queue delivers the message again (and, after its retries, to a dead-letter queue
with an alarm); from the third failed attempt on, each failure also raises a firm alert. The order stays
`paid` with provisioning pending meanwhile, visible to reconciliation.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from propdesk.domain_events import AccountProvisioned, DomainEvent, FirmAlert, stable_id
from propdesk.platforms.port import (
    AccountRef,
    NewAccount,
    OpenedAccount,
    PlatformRejectedError,
    PlatformUnavailableError,
    TradingAccess,
)
from propdesk.platforms.references import reference_of
from propdesk.ports import EventPublisher
from propdesk.purchases.orders import (
    InvalidTransitionError,
    Order,
    claim_provisioning,
    record_provisioned,
    release_provisioning,
)
from propdesk.purchases.ports import EmailSender, PlatformAccounts
from propdesk.purchases.store import (
    AccountBook,
    OrderStore,
    ProgramVersions,
    ReviewFlags,
    StaleOrderError,
    TraderDirectory,
)
from propdesk.records import Account, AccountStatus, TraderProfile

_WRITE_ATTEMPTS = 8


class ProvisioningPendingError(Exception):
    """This attempt did not finish (platform down, another worker's lease): deliver the message again."""


@dataclass(frozen=True, slots=True)
class FulfilmentSettings:
    lease: timedelta = timedelta(minutes=2)
    alert_after_attempts: int = 3


def account_id_for(order_id: str) -> str:
    """The account an order buys: derived from the order, so it can only ever be one."""
    return "acc_" + stable_id("account", order_id)[:24]


def platform_reference(order_id: str) -> str:
    return f"propdesk:{order_id}"


class Fulfilment:
    def __init__(
        self,
        orders: OrderStore,
        accounts: AccountBook,
        versions: ProgramVersions,
        traders: TraderDirectory,
        platform: PlatformAccounts,
        email: EmailSender,
        publisher: EventPublisher,
        reviews: ReviewFlags,
        settings: FulfilmentSettings = FulfilmentSettings(),
    ) -> None:
        self._orders = orders
        self._accounts = accounts
        self._versions = versions
        self._traders = traders
        self._platform = platform
        self._email = email
        self._publisher = publisher
        self._reviews = reviews
        self._settings = settings

    # ---- purchase.completed ----
    def provision(self, order_id: str, now: datetime) -> str:
        order = self._orders.get(order_id)
        if order is None:
            return f"order {order_id} does not exist"
        if order.account_id is not None:
            return self._after_recorded(order, now)
        if not order.awaits_provisioning:
            return f"nothing to do: order {order_id} is {order.status}"
        claimed = claim_provisioning(order, now, self._settings.lease)
        if claimed is None:
            raise ProvisioningPendingError(f"order {order_id} is being provisioned by another worker")
        try:
            self._orders.put(claimed, order.revision)
        except StaleOrderError:
            raise ProvisioningPendingError(f"order {order_id} changed while claiming it") from None
        try:
            platform_account = self._open_on_platform(claimed)
        except (PlatformUnavailableError, PlatformRejectedError) as error:
            self._attempt_failed(claimed, error, now)
            raise ProvisioningPendingError(f"order {order_id}: {error}") from error
        self._open_account(claimed, platform_account, now)
        recorded = self._record(order_id, platform_account, now)
        return self._after_recorded(recorded, now)

    # ---- purchase.refunded / disputed / dispute_closed ----
    def disable(self, order_id: str, now: datetime) -> str:
        order = self._orders.get(order_id)
        if order is None or order.account_id is None:
            return "no account to disable"
        return self._set_account(order, "disabled", "purchase refunded", ("active", "suspended"), now)

    def suspend(self, order_id: str, dispute_id: str, reason: str, now: datetime) -> str:
        order = self._orders.get(order_id)
        if order is None:
            return f"order {order_id} does not exist"
        self._reviews.flag(order.trader_id, order_id, f"payment dispute {dispute_id}: {reason}", now)
        self._publisher.publish(
            [
                FirmAlert(
                    event_id=stable_id("firm.alert", "dispute", order_id, dispute_id),
                    occurred_at=now,
                    severity="warning",
                    subject=f"Payment dispute on order {order_id}",
                    message=f"dispute {dispute_id} ({reason}); the trader is flagged for review"
                    + (f" and account {order.account_id} is suspended" if order.account_id else ""),
                    order_id=order_id,
                    trader_id=order.trader_id,
                )
            ]
        )
        if order.account_id is None or order.status != "disputed":
            return "trader flagged; no account to suspend"
        return self._set_account(order, "suspended", f"payment dispute {dispute_id}", ("active",), now)

    def reinstate(self, order_id: str, now: datetime) -> str:
        order = self._orders.get(order_id)
        if order is None or order.account_id is None or order.status != "provisioned":
            return "nothing to reinstate"
        return self._set_account(order, "active", "dispute won", ("suspended",), now)

    # ---- steps ----
    def _open_on_platform(self, order: Order) -> OpenedAccount:
        version = self._versions.get_version(order.program_id, order.program_version)
        if version is None:
            raise PlatformRejectedError(f"program {order.program_id} v{order.program_version} is missing")
        document = version.document
        platform_settings = document.get("platform") or {}
        reference = platform_reference(order.order_id)
        if order.provisioning_attempts > 1:  # only an earlier attempt can have created it (the lease)
            existing = self._platform.find_account(reference, order.email)
            if existing is not None:
                return existing
        first, last = _names(self._traders.get(order.trader_id), order.email)
        created = self._platform.create_account(
            NewAccount(
                reference=reference,
                email=order.email,
                first_name=first,
                last_name=last,
                currency=str(document.get("currency") or ""),
                initial_balance=Decimal(str(document.get("initial_balance") or 0)),
                group=_challenge_id(platform_settings, order),
                phase_step=int(platform_settings.get("phase", 1)),
            )
        )
        if created.password:
            self._email.send(
                order.email,
                "Your trading account is ready",
                f"Log in to {created.server} with your e-mail {order.email} and the password "
                f"{created.password} (change it on first login). Account login: {created.ref.login}.",
            )
        return created

    def _open_account(self, order: Order, platform_account: OpenedAccount, now: datetime) -> None:
        version = self._versions.get_version(order.program_id, order.program_version)
        assert version is not None  # checked in _open_on_platform
        document = version.document
        self._accounts.open(
            Account(
                account_id=account_id_for(order.order_id),
                trader_id=order.trader_id,
                program_id=order.program_id,
                program_version=order.program_version,
                status="active",
                currency=str(document["currency"]),
                initial_balance=Decimal(str(document["initial_balance"])),
                timezone=str(document["timezone"]),
                day_starts_at=str(document["day_starts_at"]),
                opened_at=now,
                platform=reference_of(platform_account),
            )
        )

    def _record(self, order_id: str, platform_account: OpenedAccount, now: datetime) -> Order:
        account_id = account_id_for(order_id)
        for _ in range(_WRITE_ATTEMPTS):
            order = self._orders.get(order_id)
            assert order is not None
            cause = f"provisioning attempt {order.provisioning_attempts}"
            try:
                outcome = record_provisioned(order, account_id, cause, now)
            except InvalidTransitionError as error:
                raise ProvisioningPendingError(str(error)) from error
            updated = replace(
                outcome.order,
                platform_account_id=platform_account.ref.platform_account_id,
                platform_login=platform_account.ref.login,
            )
            try:
                self._orders.put(updated, order.revision, outcome.transition)
            except StaleOrderError:
                continue
            return updated
        raise ProvisioningPendingError(f"order {order_id} kept changing while recording its account")

    def _after_recorded(self, order: Order, now: datetime) -> str:
        """Idempotent follow-ups once the account is on the order (repeated on every redelivery)."""
        if order.status == "refunded":
            return self._set_account(order, "disabled", "purchase refunded", ("active", "suspended"), now)
        if order.status == "disputed":
            return self._set_account(order, "suspended", "payment dispute", ("active",), now)
        if order.status == "provisioned" and order.account_id is not None:
            self._publisher.publish([self._provisioned_event(order, now)])
            return f"account {order.account_id} provisioned"
        return f"order is {order.status}"

    def _set_account(
        self,
        order: Order,
        status: AccountStatus,
        reason: str,
        expected: tuple[AccountStatus, ...],
        now: datetime,
    ) -> str:
        assert order.account_id is not None
        if order.platform_account_id:
            version = self._versions.get_version(order.program_id, order.program_version)
            platform_settings = (version.document.get("platform") if version else None) or {}
            account = AccountRef(
                platform=self._platform.name,
                platform_account_id=order.platform_account_id,
                login=order.platform_login or "",
                group=_challenge_id(platform_settings, order),
            )
            access = TradingAccess.ENABLED if status == "active" else TradingAccess.DISABLED
            try:
                self._platform.set_access(account, access)
            except PlatformUnavailableError as error:
                raise ProvisioningPendingError(
                    f"cannot set account {order.account_id} {status}: {error}"
                ) from error
        changed = self._accounts.set_status(order.account_id, status, reason, now, expected)
        return f"account {order.account_id} {status}" if changed else f"account {order.account_id} unchanged"

    def _attempt_failed(self, claimed: Order, error: Exception, now: datetime) -> None:
        released = release_provisioning(claimed, str(error))
        with contextlib.suppress(StaleOrderError):  # then the lease simply expires
            self._orders.put(released, claimed.revision)
        if claimed.provisioning_attempts >= self._settings.alert_after_attempts:
            self._publisher.publish(
                [
                    FirmAlert(
                        event_id=stable_id(
                            "firm.alert", "provisioning", claimed.order_id, claimed.provisioning_attempts
                        ),
                        occurred_at=now,
                        severity="critical",
                        subject=f"Order {claimed.order_id} is paid but has no trading account",
                        message=f"attempt {claimed.provisioning_attempts} failed: {error}",
                        order_id=claimed.order_id,
                        trader_id=claimed.trader_id,
                    )
                ]
            )

    def _provisioned_event(self, order: Order, now: datetime) -> DomainEvent:
        assert order.account_id is not None
        return AccountProvisioned(
            event_id=stable_id("account.provisioned", order.account_id),
            occurred_at=now,
            account_id=order.account_id,
            trader_id=order.trader_id,
            order_id=order.order_id,
            program_id=order.program_id,
            program_version=order.program_version,
            platform=self._platform.name,
            login=order.platform_login or "",
            server=self._platform.server,
        )


def _challenge_id(platform_settings: Mapping[str, Any], order: Order) -> str:
    """The platform's product for the program (Match-Trader's challenge id), the program id by default."""
    return str(platform_settings.get("challenge_id") or order.program_id)


def _names(profile: TraderProfile | None, email: str) -> tuple[str, str]:
    if profile is not None and profile.display_name.strip():
        first, _, last = profile.display_name.strip().partition(" ")
        return first, last or "-"
    return email.partition("@")[0], "-"
