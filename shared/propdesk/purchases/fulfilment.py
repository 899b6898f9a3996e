"""After the money moves: open the trading account once, and disable, suspend or reinstate it when the
purchase is refunded, disputed or the dispute is won.

Never twice: a worker first takes a lease on the order (a conditional write), then looks for an account
carrying the order's reference on the platform before creating one, so an attempt that died after creating
the account is completed by the next one instead of repeated. Never lost: a failed attempt releases the
lease and raises, so the queue delivers the message again (and, after its retries, to a dead-letter queue
with an alarm); from the third failed attempt on, each failure also raises a firm alert. The order stays
`paid` with provisioning pending meanwhile, visible to reconciliation.

The platform login reaches the trader by e-mail, sent from here and nowhere else: right after the platform
created the user, the message carries the one-time password, which exists only in memory (never in a log, an
event or a table). If that send fails, or the attempt dies and a retry finds the account already created (the
password is gone), the message explains how to set a password with the platform's reset instead. Either way it
is sent once per account (`OnceOnlyMail`); the server and login are also kept for the API.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from propdesk.domain_events import AccountProvisioned, DomainEvent, FirmAlert, stable_id
from propdesk.mail.delivery import OnceOnlyMail, mail_key
from propdesk.mail.letter import Firm
from propdesk.mail.purchases import CREDENTIALS, PlatformLogin, platform_credentials
from propdesk.platforms.port import (
    AccountRef,
    NewAccount,
    OpenedAccount,
    PlatformRejectedError,
    PlatformUnavailableError,
    TradingAccess,
)
from propdesk.platforms.references import reference_of
from propdesk.ports import EventPublisher, MailUnavailableError
from propdesk.purchases.orders import (
    InvalidTransitionError,
    Order,
    claim_provisioning,
    record_provisioned,
    release_provisioning,
)
from propdesk.purchases.ports import PlatformAccounts
from propdesk.purchases.store import (
    AccountBook,
    AccountLogins,
    OrderStore,
    ProgramVersions,
    ReviewFlags,
    StaleOrderError,
    TraderDirectory,
)
from propdesk.records import Account, AccountLogin, AccountStatus, TraderProfile

_WRITE_ATTEMPTS = 8


class ProvisioningPendingError(Exception):
    """This attempt did not finish (platform down, another worker's lease): deliver the message again."""


@dataclass(frozen=True)
class LoginMail:
    """How the trader gets their platform login: the e-mail (once per account), signed by the firm, naming the
    platform's login page (where its password reset is), and the login kept for the API."""

    mail: OnceOnlyMail
    logins: AccountLogins
    firm: Firm
    login_url: str | None = None


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
        login_mail: LoginMail,
        publisher: EventPublisher,
        reviews: ReviewFlags,
        settings: FulfilmentSettings = FulfilmentSettings(),
    ) -> None:
        self._orders = orders
        self._accounts = accounts
        self._versions = versions
        self._traders = traders
        self._platform = platform
        self._login_mail = login_mail
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
        if platform_account.password:
            # The only moment the password exists; if this send fails, the login is mailed below without it.
            with contextlib.suppress(MailUnavailableError):
                self._mail_login(claimed, platform_account.ref.login, platform_account.password)
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
        return self._platform.create_account(
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

    def _mail_login(self, order: Order, login: str, one_time_password: str | None = None) -> str:
        """The platform login e-mail, once per account: with the one-time password when it is at hand,
        otherwise saying how to set a password with the platform's reset."""
        account_id = account_id_for(order.order_id)
        details = PlatformLogin(
            account_id,
            self._platform.name,
            self._platform.server,
            login,
            one_time_password,
            self._login_mail.login_url,
        )
        content = platform_credentials(details, self._login_mail.firm)
        return self._login_mail.mail.send(mail_key(account_id, CREDENTIALS.name), order.email, content)

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
            login = order.platform_login or ""
            self._login_mail.logins.put(
                AccountLogin(order.account_id, self._platform.name, self._platform.server, login)
            )
            self._publisher.publish([self._provisioned_event(order, now)])
            try:
                mailed = self._mail_login(order, login)
            except MailUnavailableError as error:
                raise ProvisioningPendingError(
                    f"account {order.account_id} is open; its login is not mailed yet: {error}"
                ) from error
            return f"account {order.account_id} provisioned (login e-mail: {mailed})"
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
