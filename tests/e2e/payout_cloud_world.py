"""The payout workflow's world in the local cloud: traders and finance members signed in through Cognito,
funded accounts opened on the fake Match-Trader with closed profit the engine has seen, payouts requested and
decided through the API, and the Bridge fake's signed webhooks delivered to the stack. Shared by the payout
end-to-end tests (`test_payout_journey.py`, `test_payout_decisions.py`); safe to drive from several threads at
once (each scenario keeps to its own trader and accounts)."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from scripts.local_cloud.cloud import STAGE
from scripts.local_cloud.seed import ensure_user
from scripts.mailbox import messages
from tests.e2e.harness import DeployedStack, HttpAnswer, eventually

WAIT = 300  # seconds for a hop through cold functions on a busy machine
FUNDED = "two-step-100k-funded"  # 80% split, 100 minimum, first payout after 14 days
SYSTEM_UUID = "system-e2e"
WALLET = "0x52908400098527886E0F7030069857D2E4169EE7"
PAID_SUBJECT = "Your payout is on its way"

_clients_lock = threading.Lock()  # boto3's default session is not safe to build clients from in parallel
_delivery_lock = threading.Lock()  # one test at a time moves Bridge's outbox (see `settled_out_of_order`)


def answered(
    stack: DeployedStack, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
) -> HttpAnswer:
    """The API's answer, asked again on a cold start's 502-504 or a client timeout: only for calls that may
    be repeated (reads, pushes of events with their ids, requests with an Idempotency-Key, a rail's
    deliveries). Scenarios running at once start several environments of one function on two cores."""

    def attempt() -> HttpAnswer | None:
        try:
            answer = stack.http(method, path, body, headers)
        except OSError:
            return None
        return None if answer.status in (502, 503, 504) else answer

    return eventually(attempt, timeout=WAIT, interval=2)


def client(stack: DeployedStack, service: str) -> Any:
    with _clients_lock:
        return stack.client(service)


def signed_in(stack: DeployedStack, group: str, prefix: str = "payout") -> tuple[str, str, dict[str, str]]:
    """A user of their own in `group` (trader, finance...), signed in: (id, email, Authorization header)."""
    email = f"{prefix}-{uuid.uuid4().hex[:10]}@demo.propdesk.local"
    cognito = client(stack, "cognito-idp")
    user_id = ensure_user(cognito, stack.outputs["UserPoolId"], email, group)
    answer = cognito.initiate_auth(
        AuthFlow="USER_PASSWORD_AUTH",
        ClientId=stack.outputs["UserPoolClientId"],
        AuthParameters={"USERNAME": email, "PASSWORD": stack.demo["password"]},
    )
    return user_id, email, {"Authorization": str(answer["AuthenticationResult"]["IdToken"])}


def signed_in_trader(stack: DeployedStack) -> tuple[str, str, dict[str, str]]:
    """A trader of their own (their KYC case, destination and payouts are theirs alone), signed in."""
    return signed_in(stack, "trader")


def verified_trader_with_a_wallet(trader_id: str, now: datetime) -> None:
    """Arranged through the data layer: the identity check approved, the USDC wallet confirmed."""
    from propdesk.data.payout_destinations import PayoutDestinationRepository
    from propdesk.rails.destinations import PayoutDestination, destination_id, stablecoin_wallet

    from tests.integration.kyc_cases import seed_kyc_case

    seed_kyc_case(trader_id, "approved", now)
    wallet = stablecoin_wallet("USDC", "ethereum", WALLET)
    PayoutDestinationRepository().put(
        PayoutDestination(destination_id(trader_id, wallet), trader_id, wallet, now, verified_at=now)
    )


def platform_secret(stack: DeployedStack) -> None:
    """The stack's Match-Trader secret with what balance operations need (the system's and the payment
    gateway's uuids)."""
    fake = stack.providers.match_trader  # type: ignore[union-attr]
    secret = {"base_url": fake.url, "api_token": fake.token, "system_uuid": SYSTEM_UUID,
              "payment_gateway_uuid": "gateway-e2e"}  # fmt: skip
    client(stack, "secretsmanager").put_secret_value(
        SecretId=f"propdesk/{STAGE}/match-trader", SecretString=json.dumps(secret)
    )


def funded_account(stack: DeployedStack, trader_id: str, opened_at: datetime) -> Any:
    """A funded account opened on the fake platform (as the progression workflow opens it) and stored."""
    from propdesk.adapters.platforms.http import RateLimitedError
    from propdesk.catalogue import demo_programs
    from propdesk.config import PlatformConnection
    from propdesk.data.accounts import AccountRepository
    from propdesk.platforms.port import NewAccount
    from propdesk.platforms.references import reference_of
    from propdesk.records import Account
    from propdesk.resilience.breaker_state import InMemoryBreakerStore
    from propdesk.wiring.platforms import PlatformRegistry

    from tests.doubles.ports import StaticSecrets

    fake = stack.providers.match_trader  # type: ignore[union-attr]
    account_id = f"e2e-pay-{uuid.uuid4().hex[:10]}"
    secret = json.dumps({"base_url": fake.url, "api_token": fake.token, "system_uuid": SYSTEM_UUID})
    connection = PlatformConnection(secret_arn="e2e", server="MatchTrader-Demo", requests_per_minute=500)
    registry = PlatformRegistry(
        {"match-trader": connection}, StaticSecrets({"e2e": secret}), InMemoryBreakerStore()
    )
    new = NewAccount(
        f"propdesk:{account_id}", f"{account_id}@example.com", "Payout", "Trader", "USD", Decimal(100000),
        "funded-100k",
    )  # fmt: skip
    platform = registry.platform("match-trader")
    for _ in range(30):  # the platform's requests a minute, shared with the functions: wait as it says
        try:
            opened = platform.create_account(new)  # a repeat finds the user and account it made
            break
        except RateLimitedError as limited:
            time.sleep(float(limited.retry_after or 1))
    else:
        raise AssertionError(f"{account_id}: Match-Trader kept answering 429")
    program = next(p for p in demo_programs() if p.summary.program_id == FUNDED)
    account = Account(
        account_id=account_id, trader_id=trader_id, program_id=FUNDED, program_version=1, status="active",
        currency="USD", initial_balance=program.summary.initial_balance,
        timezone=str(program.document["timezone"]), day_starts_at=str(program.document["day_starts_at"]),
        opened_at=opened_at,
    )  # fmt: skip
    account = replace(account, platform=reference_of(opened))
    assert AccountRepository().open(account)
    return account


def with_profit(stack: DeployedStack, account: Any, profit: str) -> None:
    """A winning trade, on the platform's book and pushed (signed) to the stack, until the engine shows it."""
    from propdesk.data.risk import RiskStateRepository

    fake = stack.providers.match_trader  # type: ignore[union-attr]
    fake.market.balance_operation(account.platform.login, Decimal(profit), "trade")
    at = account.opened_at + timedelta(days=2)
    events = [
        {"event_id": "o1", "time": at.isoformat(), "type": "position_opened", "position_id": "p1",
         "symbol": "EURUSD", "side": "buy", "volume": "1.0"},
        {"event_id": "c1", "time": (at + timedelta(hours=1)).isoformat(), "type": "position_closed",
         "position_id": "p1", "profit": profit},
    ]  # fmt: skip
    pushed = eventually(lambda: _pushed(stack, account.account_id, events), timeout=WAIT, interval=2)
    assert pushed.status == 202, pushed.body

    def seen() -> bool:
        snapshot = RiskStateRepository().get(account.account_id)
        return snapshot is not None and Decimal(str(snapshot.state.get("balance"))) > account.initial_balance

    eventually(seen, timeout=WAIT, interval=2)


def _pushed(stack: DeployedStack, account_id: str, events: list[dict[str, Any]]) -> HttpAnswer | None:
    """The platform's push (signed), asked again on a 5xx or a timeout (the events carry their ids)."""
    try:
        answer = stack.push_events(account_id, events)
    except OSError:
        return None
    return None if answer.status in (502, 503, 504) else answer


def trader_with_profit(stack: DeployedStack, now: datetime, profit: str) -> tuple[str, dict[str, str], Any]:
    """A verified trader with a wallet and one funded account (opened 20 days ago) holding `profit` of
    closed profit the engine has seen: (email, Authorization header, account)."""
    trader_id, email, trader = signed_in_trader(stack)
    verified_trader_with_a_wallet(trader_id, now)
    account = funded_account(stack, trader_id, now - timedelta(days=20))
    with_profit(stack, account, profit)
    return email, trader, account


def platform_balance(stack: DeployedStack, account: Any) -> Decimal:
    book = stack.providers.match_trader.market.account(account.platform.login)  # type: ignore[union-attr]
    assert book is not None
    return Decimal(book.balance)


def payout_when(stack: DeployedStack, payout_id: str, wanted: Callable[[Any], bool]) -> Any:
    from propdesk.data.payouts import PayoutRepository

    def probe() -> Any:
        payout = PayoutRepository().get(payout_id)
        return payout if payout is not None and wanted(payout) else None

    return eventually(probe, timeout=WAIT, interval=2)


def waiting_for_finance(payout_id: str) -> None:
    """Until the workflow waits for finance's decision (it kept the approval step's task token)."""
    from propdesk.data.payouts import PayoutRepository

    eventually(lambda: PayoutRepository().token(payout_id, "approval"), timeout=WAIT, interval=2)


def transfer_of(stack: DeployedStack, payout_id: str) -> str:
    bridge = stack.providers.bridge  # type: ignore[union-attr]
    return str(
        next(t["id"] for t in list(bridge.transfers.values()) if t["client_reference_id"] == payout_id)
    )


def transfers_of(stack: DeployedStack, payout_id: str) -> list[str]:
    bridge = stack.providers.bridge  # type: ignore[union-attr]
    return [t["id"] for t in list(bridge.transfers.values()) if t["client_reference_id"] == payout_id]


def deliver_webhooks(stack: DeployedStack) -> None:
    """Bridge delivers what it has now (a delivery the stack refused is due again at once, not in minutes)."""
    bridge = stack.providers.bridge  # type: ignore[union-attr]
    with _delivery_lock:
        for delivery in list(bridge.outbox.queue):
            delivery.due_at = 0.0
        bridge.outbox.flush()


def settled_out_of_order(stack: DeployedStack, transfer_id: str) -> list[dict[str, Any]]:
    """Bridge settles the transfer (payment_submitted, then payment_processed), and its two status events are
    taken out of the outbox before anything delivers them: the caller delivers them in its own order."""
    bridge = stack.providers.bridge  # type: ignore[union-attr]
    with _delivery_lock:
        bridge.settle(transfer_id)
        mine = [
            d for d in list(bridge.outbox.queue)
            if d.event["event_object_id"] == transfer_id
            and d.event["event_object_status"] in ("payment_submitted", "payment_processed")
        ]  # fmt: skip
        for delivery in mine:
            bridge.outbox.queue.remove(delivery)
    return [delivery.event for delivery in mine]


def deliver_bridge_event(stack: DeployedStack, event: dict[str, Any]) -> HttpAnswer:
    """One of Bridge's events, signed now as Bridge signs every attempt, POSTed to the stack's route."""
    bridge = stack.providers.bridge  # type: ignore[union-attr]

    def attempt() -> HttpAnswer | None:  # signed afresh at every attempt, as Bridge does
        body, headers = bridge.outbox.render(event, bridge.clock())
        try:
            answer = stack.http("POST", "/v1/webhooks/payouts/bridge", body=body, headers=headers)
        except OSError:
            return None
        return None if answer.status in (502, 503, 504) else answer

    return eventually(attempt, timeout=WAIT, interval=2)


def paid_once_webhooks_flushed(stack: DeployedStack, payout_id: str) -> Any:
    """Until the payout is paid, Bridge delivering what it has meanwhile."""
    from propdesk.data.payouts import PayoutRepository

    def paid() -> Any:
        deliver_webhooks(stack)
        payout = PayoutRepository().get(payout_id)
        return payout if payout is not None and payout.status == "paid" else None

    return eventually(paid, timeout=WAIT, interval=3)


def request_payout(stack: DeployedStack, account_id: str, trader: dict[str, str]) -> str:
    answer = answered(
        stack, "POST", f"/v1/accounts/{account_id}/payouts", body={},
        headers={**trader, "Idempotency-Key": f"e2e-{account_id}"},
    )  # fmt: skip
    assert answer.status in (201, 200), answer.body
    return str(answer.body["payout_id"])


def decide(
    stack: DeployedStack, payout_id: str, finance: dict[str, str], decision: str, reason: str
) -> HttpAnswer:
    """Finance's decision through the API (`POST /v1/staff/payouts/{id}/decision`)."""
    return stack.http(
        "POST", f"/v1/staff/payouts/{payout_id}/decision", body={"decision": decision, "reason": reason},
        headers=finance,
    )  # fmt: skip


def mails(stack: DeployedStack, email: str, subject: str) -> list[dict[str, Any]]:
    return [m for m in messages(stack.endpoints.cloud) if email in m["To"] and m["Subject"] == subject]


def mail_to(stack: DeployedStack, email: str, subject: str) -> list[dict[str, Any]]:
    """Until at least one message with `subject` reached `email`; all of them."""
    return eventually(lambda: mails(stack, email, subject), timeout=WAIT, interval=3)
