"""A trader's whole life in the local cloud, lived as the trader lives it (issue 13): buy a 2-step challenge
on the (fake) Stripe payment page, receive the platform login by e-mail, trade through the platform's signed
pushes, pass phase 1 into a new phase-2 account (a fresh balance, a new login mailed, the old account closed
for trading), pass phase 2, verify one's identity on the (fake) Veriff page, receive the funded account,
breach its daily loss limit, and find it disabled on the (fake) Match-Trader with the breach in the mailbox.

The trader signs up, confirms and signs in through the API. The firm's chain is the demo 2-step chain
published under ids of this run's own, without the minimum of four trading days (days cannot be waited for
here; the rule has its own tests): everything else is the demo firm's.
Every e-mail of the life is read from the local cloud's SES mailbox.

The closing of the passed accounts and the disabling of the breached one at the platform both go through the
enforcement consumer (`platform_commands`); they are checked last, in one step, so a regression there is named
by that step alone."""

from __future__ import annotations

import copy
import urllib.request
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from scripts.mailbox import messages
from tests.e2e.harness import DeployedStack, HttpAnswer, bind_data_layer, eventually
from tests.e2e.test_progression_journey import diagnosis

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(1800)]  # the deploy, then a dozen cold functions

HOP = 300  # seconds for one asynchronous hop through cold functions on a loaded machine
DEMO_CHAIN = ("two-step-100k-phase-1", "two-step-100k-phase-2", "two-step-100k-funded")
PASSWORD = "Whole-Life-Trader-7!"
LOCAL_CONFIRMATION_CODE = "123456"  # the local cloud's Cognito issues it to every sign-up (see test_sign_in)


class Trader:
    """One new trader who signed up, confirmed and signed in through the API, with their own mailbox view."""

    def __init__(self, stack: DeployedStack) -> None:
        self.stack = stack
        self.email = f"life-{uuid.uuid4().hex[:10]}@example.com"
        self.token = ""
        signed_up = self.public(
            "/v1/auth/sign-up",
            {
                "email": self.email,
                "password": PASSWORD,
                "display_name": "Life Trader",
                "zoneinfo": "Europe/London",
            },
        )
        assert signed_up.status == 202, signed_up.body
        confirmed = self.public("/v1/auth/confirm", {"email": self.email, "code": LOCAL_CONFIRMATION_CODE})
        assert confirmed.status == 200, confirmed.body
        signed_in = self.public("/v1/auth/sign-in", {"email": self.email, "password": PASSWORD})
        assert signed_in.status == 200, signed_in.body
        self.token = str(signed_in.body["id_token"])

    def public(self, path: str, body: dict[str, str]) -> HttpAnswer:
        """A public auth route, asked again on a cold start's 5xx or a client timeout (sign-up answers a taken
        address exactly as a new one, and confirming twice is accepted)."""

        def answered() -> HttpAnswer | None:
            try:
                answer = self.stack.http("POST", path, body=body)
            except OSError:
                return None
            return None if answer.status >= 500 else answer

        return eventually(answered, timeout=HOP, interval=2)

    def call(self, method: str, path: str, body: Any = None, **headers: str) -> HttpAnswer:
        """The API as the trader calls it; asked again on a cold start's 502 or a client timeout (every call
        here is a read, or a write with an idempotency key or an identical repeat)."""

        def answered() -> HttpAnswer | None:
            try:
                answer = self.stack.http(method, path, body, {"Authorization": self.token, **headers})
            except OSError:
                return None
            return None if answer.status in (502, 503, 504) else answer

        return eventually(answered, timeout=HOP, interval=2)

    def mail(self, subject: Callable[[str], bool]) -> list[dict[str, Any]]:
        return [
            message
            for message in messages(self.stack.endpoints.cloud)
            if self.email in (message.get("To") or []) and subject(str(message.get("Subject", "")))
        ]

    def mailed(self, subject: str | Callable[[str], bool]) -> dict[str, Any]:
        """The one message with this subject (waited for), and never a second."""
        wanted = subject if callable(subject) else (lambda seen: seen == subject)
        found = eventually(lambda: self.mail(wanted), timeout=HOP, interval=2)
        assert len(found) == 1, [m["Subject"] for m in found]
        return found[0]

    def account(self, account_id: str) -> dict[str, Any]:
        answer = self.call("GET", f"/v1/accounts/{account_id}")
        assert answer.status == 200, answer.body
        body: dict[str, Any] = answer.body["account"]
        return body

    def trade(self, account: dict[str, Any], events: list[dict[str, Any]]) -> None:
        """The platform pushes the account's trading events, signed (as the Match-Trader bridge does)."""
        answer = eventually(
            lambda: _pushed(self.stack, account["account_id"], events), timeout=HOP, interval=2
        )
        assert answer.status == 202, answer.body

    def next_account(self, account_id: str) -> dict[str, Any]:
        """The account a passed one continues in, as its chain shows it once it is open."""

        def opened() -> str | None:
            chain = self.call("GET", f"/v1/accounts/{account_id}/chain").body
            progression = chain.get("progression") or {}
            next_id = progression.get("next_account_id")
            return next_id if next_id and self.call("GET", f"/v1/accounts/{next_id}").status == 200 else None

        try:
            next_id = eventually(opened, timeout=3 * HOP, interval=3)  # a workflow of cold tasks: 10 min seen
        except AssertionError:
            bind_data_layer(self.stack)
            raise AssertionError(diagnosis(self.stack, account_id)) from None
        return self.account(next_id)


def _pushed(stack: DeployedStack, account_id: str, events: list[dict[str, Any]]) -> HttpAnswer | None:
    try:
        answer = stack.push_events(account_id, events)
    except OSError:
        return None
    return None if answer.status in (502, 503, 504) else answer


def publish_chain(tag: str) -> dict[str, str]:
    """The demo 2-step chain under this run's ids, funded end first (each names a program that exists)."""
    from propdesk.catalogue import demo_programs, summary_of
    from propdesk.data.catalogue import CatalogueRepository

    documents = {program.summary.program_id: program.document for program in demo_programs()}
    ids = {demo: f"{demo}-{tag}" for demo in DEMO_CHAIN}
    catalogue = CatalogueRepository()
    for demo in reversed(DEMO_CHAIN):
        document = copy.deepcopy(documents[demo])
        document["program_id"] = ids[demo]
        document["next_program_id"] = ids.get(document.get("next_program_id") or "")
        document["rules"] = [rule for rule in document["rules"] if rule["type"] != "min_trading_days"]
        catalogue.publish(summary_of(document), document, datetime.now(UTC))
    return ids


def winning_trade(account: dict[str, Any], profit: str, tag: str) -> list[dict[str, Any]]:
    """One position opened and closed with `profit`, timed just after the account opened."""
    opened_at = datetime.fromisoformat(account["opened_at"])
    start = max(opened_at, datetime.now(UTC) - timedelta(seconds=20))
    at = [(start + timedelta(seconds=s)).isoformat() for s in (1, 2)]
    return [
        {"event_id": f"{tag}-o", "time": at[0], "type": "position_opened", "position_id": f"{tag}-p",
         "symbol": "EURUSD", "side": "buy", "volume": "1.0"},
        {"event_id": f"{tag}-c", "time": at[1], "type": "position_closed", "position_id": f"{tag}-p",
         "profit": profit},
    ]  # fmt: skip


def login_subject(account_id: str) -> str:
    return f"Your Match-Trader login for account {account_id}"


def test_a_trader_lives_a_whole_life_from_purchase_to_a_funded_account_disabled_for_a_breach(
    stack: DeployedStack,
) -> None:
    assert stack.providers is not None, "the journey needs the providers' fakes (not E2E_REUSE_DEV)"
    stripe, platform = stack.providers.stripe, stack.providers.match_trader
    bind_data_layer(stack)
    chain = publish_chain(uuid.uuid4().hex[:6])
    trader = Trader(stack)
    profile = trader.call("PUT", "/v1/me", {"display_name": "Life Trader"})
    assert profile.status == 200, profile.body

    # ---- buy the 2-step challenge on the payment page; the order is paid and the account opened
    placed = trader.call(
        "POST",
        "/v1/orders",
        {"program_id": chain[DEMO_CHAIN[0]], "currency": "USD", "payment_method": "card"},
        **{"Idempotency-Key": f"life-{uuid.uuid4().hex}"},
    )
    assert placed.status in (200, 201), placed.body
    order_id, payment_url = placed.body["order"]["order_id"], placed.body["payment_url"]
    assert payment_url.startswith(stripe.url)
    with urllib.request.urlopen(payment_url, timeout=30) as page:  # noqa: S310 - the local fake
        assert page.status == 200

    def provisioned() -> dict[str, Any] | None:
        order: dict[str, Any] = trader.call("GET", f"/v1/orders/{order_id}").body["order"]
        return order if order["status"] == "provisioned" else None

    order = eventually(provisioned, timeout=2 * HOP, interval=3)
    phase_1 = trader.account(order["account_id"])
    assert (phase_1["program_id"], phase_1["status"]) == (chain[DEMO_CHAIN[0]], "active")
    trader.mailed("Receipt for your 2-Step 100K: Phase 1 challenge")
    login_1 = trader.mailed(login_subject(phase_1["account_id"]))
    assert f"Login: {phase_1['platform']['login']}" in login_1["BodyText"]
    assert "One-time password" in login_1["BodyText"]

    # ---- pass phase 1 (+10.4%): the phase-2 account opens with a fresh balance and its own login
    trader.trade(phase_1, winning_trade(phase_1, "10400.00", "p1"))
    phase_2 = trader.next_account(phase_1["account_id"])
    assert (phase_2["program_id"], phase_2["status"]) == (chain[DEMO_CHAIN[1]], "active")
    assert Decimal(str(phase_2["initial_balance"])) == Decimal(100000)
    assert phase_2["platform"]["login"] != phase_1["platform"]["login"]
    assert trader.account(phase_1["account_id"])["status"] == "passed"
    trader.mailed("You passed 2-Step 100K: Phase 1")
    # the trader's platform user exists already: the new login uses the password they have
    assert (
        f"Login: {phase_2['platform']['login']}"
        in trader.mailed(login_subject(phase_2["account_id"]))["BodyText"]
    )
    opened_2 = trader.mailed(f"Your 2-Step 100K: Phase 2 account {phase_2['account_id']} is open")
    assert f"Account {phase_1['account_id']} is now closed for trading" in opened_2["BodyText"]
    assert trader.call("GET", "/v1/me/kyc").body["status"] == "not_started"  # a phase opens no KYC

    # ---- pass phase 2 (+5.2%): the KYC gate asks the trader to verify their identity
    trader.trade(phase_2, winning_trade(phase_2, "5200.00", "p2"))
    trader.mailed(lambda subject: subject.startswith("You passed 2-Step 100K: Phase 2"))

    def verification_url() -> str | None:
        kyc = trader.call("GET", "/v1/me/kyc").body
        return kyc.get("verification_url") if kyc.get("status") == "awaiting_trader" else None

    url = eventually(verification_url, timeout=2 * HOP, interval=3)
    trader.mailed("Please verify your identity")
    with urllib.request.urlopen(f"{url}?outcome=approve", timeout=30) as page:  # noqa: S310 - the fake
        assert page.status == 200  # Veriff decides and sends its signed webhook to the stack
    trader.mailed("Your identity is verified")

    # ---- the funded account opens, mailed with its login
    funded = trader.next_account(phase_2["account_id"])
    assert (funded["program_id"], funded["status"]) == (chain[DEMO_CHAIN[2]], "active")
    assert trader.call("GET", f"/v1/accounts/{funded['account_id']}/chain").body["stage"] == "funded"
    assert (
        f"Login: {funded['platform']['login']}"
        in trader.mailed(login_subject(funded["account_id"]))["BodyText"]
    )
    opened_funded = trader.mailed(f"Your funded account {funded['account_id']} is open")
    assert f"Login: {funded['platform']['login']}" in opened_funded["BodyText"]

    # ---- a breach on the funded account: failed here, mailed with its explanation
    floor_broken_at = max(
        datetime.fromisoformat(funded["opened_at"]), datetime.now(UTC) - timedelta(seconds=20)
    )
    trader.trade(funded, [
        {"event_id": "funded-drop", "time": (floor_broken_at + timedelta(seconds=1)).isoformat(),
         "type": "equity", "equity": "94900.00"},
    ])  # fmt: skip
    breach = trader.mailed(f"Account {funded['account_id']}: daily loss limit breached (failed)")
    assert "trading on it is disabled" in breach["BodyText"]
    assert eventually(lambda: trader.account(funded["account_id"])["status"] == "failed", timeout=HOP)

    # ---- at the platform (platform_commands): the passed accounts closed, the breached one disabled
    logins = [account["platform"]["login"] for account in (phase_1, phase_2, funded)]
    try:
        eventually(
            lambda: all(platform.access.get(login) == "TRADING_DISABLED" for login in logins), timeout=HOP
        )
    except AssertionError:
        seen = {login: platform.access.get(login) for login in logins}
        raise AssertionError(f"access at Match-Trader (phase 1, phase 2, funded): {seen}") from None
    platform_state = f"/v1/accounts/{funded['account_id']}/platform"
    # the confirmed access is recorded once the platform's last call (the prop account) has answered
    state = eventually(lambda: (s := trader.call("GET", platform_state).body)["access"] and s, timeout=60)
    assert state["access"] == state["wanted"] == "disabled"
