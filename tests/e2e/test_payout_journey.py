"""The payout journey end to end in the local cloud, with the Match-Trader platform and the Bridge rail faked
(their APIs; Bridge's RSA-signed webhooks sent to the stack's route):

- a funded account with 1,000 of closed profit; the trader (identity verified, a verified USDC wallet) asks
  for all of it; the workflow on Step Functions approves it automatically (an 800 share is under the firm's
  1,000), withdraws the 1,000 on the platform, asks Bridge to pay 800; Bridge's signed `payment_processed`
  webhook makes it `paid`, and the trader is mailed the statement (gross profit, shares, what was paid where);
- a second funded account's payment is refused by the network after the withdrawal (Bridge: `undeliverable`):
  the workflow puts the 1,000 back on the account (platform and engine), the payout fails, compensated."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from scripts.local_cloud.cloud import STAGE
from scripts.local_cloud.seed import ensure_user
from scripts.mailbox import messages
from tests.e2e.harness import DeployedStack, bind_data_layer, eventually

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(1500)]

WAIT = 300  # seconds for a hop through cold functions on a busy machine
FUNDED = "two-step-100k-funded"
SYSTEM_UUID = "system-e2e"
WALLET = "0x52908400098527886E0F7030069857D2E4169EE7"


def signed_in_trader(stack: DeployedStack) -> tuple[str, str, dict[str, str]]:
    """A trader of their own (their KYC case, destination and payouts are theirs alone), signed in."""
    email = f"payout-{uuid.uuid4().hex[:10]}@demo.propdesk.local"
    trader_id = ensure_user(stack.client("cognito-idp"), stack.outputs["UserPoolId"], email, "trader")
    answer = stack.client("cognito-idp").initiate_auth(
        AuthFlow="USER_PASSWORD_AUTH",
        ClientId=stack.outputs["UserPoolClientId"],
        AuthParameters={"USERNAME": email, "PASSWORD": stack.demo["password"]},
    )
    return trader_id, email, {"Authorization": str(answer["AuthenticationResult"]["IdToken"])}


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
    stack.client("secretsmanager").put_secret_value(
        SecretId=f"propdesk/{STAGE}/match-trader", SecretString=json.dumps(secret)
    )


def funded_account(stack: DeployedStack, trader_id: str, opened_at: datetime) -> Any:
    """A funded account opened on the fake platform (as the progression workflow opens it) and stored."""
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
    opened = registry.platform("match-trader").create_account(
        NewAccount(f"propdesk:{account_id}", f"{account_id}@example.com", "Payout", "Trader", "USD",
                   Decimal(100000), "funded-100k")
    )  # fmt: skip
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
    answer = stack.push_events(account.account_id, events)
    assert answer.status == 202, answer.body

    def seen() -> bool:
        snapshot = RiskStateRepository().get(account.account_id)
        return snapshot is not None and Decimal(str(snapshot.state.get("balance"))) > account.initial_balance

    eventually(seen, timeout=WAIT, interval=2)


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


def transfer_of(stack: DeployedStack, payout_id: str) -> str:
    bridge = stack.providers.bridge  # type: ignore[union-attr]
    return next(t["id"] for t in bridge.transfers.values() if t["client_reference_id"] == payout_id)


def deliver_webhooks(stack: DeployedStack) -> None:
    """Bridge delivers what it has now (a delivery the stack refused is due again at once, not in minutes)."""
    bridge = stack.providers.bridge  # type: ignore[union-attr]
    for delivery in bridge.outbox.queue:
        delivery.due_at = 0.0
    bridge.outbox.flush()


def request_payout(stack: DeployedStack, account_id: str, trader: dict[str, str]) -> str:
    answer = stack.http(
        "POST", f"/v1/accounts/{account_id}/payouts", body={},
        headers={**trader, "Idempotency-Key": f"e2e-{account_id}"},
    )  # fmt: skip
    assert answer.status in (201, 200), answer.body
    return str(answer.body["payout_id"])


def test_a_payout_is_paid_by_the_rails_signed_webhook_and_a_failed_payment_is_put_back(
    stack: DeployedStack,
) -> None:
    if stack.providers is None or not stack.providers.started:
        pytest.skip("the fakes run in another process (E2E_REUSE_DEV): this test drives them")
    bind_data_layer(stack)
    now = datetime.now(UTC)
    trader_id, email, trader = signed_in_trader(stack)
    verified_trader_with_a_wallet(trader_id, now)
    platform_secret(stack)
    paid_account = funded_account(stack, trader_id, now - timedelta(days=20))
    failing_account = funded_account(stack, trader_id, now - timedelta(days=20))
    with_profit(stack, paid_account, "1000.00")
    with_profit(stack, failing_account, "1000.00")

    # -- paid: approved automatically, withdrawn, paid by Bridge, confirmed by its signed webhook
    payout_id = request_payout(stack, paid_account.account_id, trader)
    paying = payout_when(stack, payout_id, lambda p: p.status == "paying" and p.rail_reference)
    assert paying.decided_by == "system:payout-workflow"
    assert platform_balance(stack, paid_account) == Decimal("100000.00")  # the 1,000 left the account
    stack.providers.bridge.settle(transfer_of(stack, payout_id))  # type: ignore[union-attr]

    def paid() -> Any:
        deliver_webhooks(stack)
        from propdesk.data.payouts import PayoutRepository

        payout = PayoutRepository().get(payout_id)
        return payout if payout is not None and payout.status == "paid" else None

    settled = eventually(paid, timeout=WAIT, interval=3)
    assert [s.status for s in settled.timeline] == ["approved", "withdrawn", "paying", "paid"]
    assert settled.paid_amount == Decimal("800.00") and settled.destination.startswith("0x5290")
    mail = eventually(
        lambda: [m for m in messages(stack.endpoints.cloud)
                 if email in m["To"] and m["Subject"] == "Your payout is on its way"],
        timeout=WAIT, interval=3,
    )  # fmt: skip
    text = mail[0]["BodyText"]
    for line in ("Gross profit: 1,000.00 USD", "Firm's share: 200.00 USD", "Your share: 800.00 USD",
                 "Paid: 800.00 USD", payout_id):  # fmt: skip
        assert line in text, text
    assert WALLET not in text  # the statement shows the wallet masked

    # -- failed after the withdrawal: the amount goes back onto the account
    failing_id = request_payout(stack, failing_account.account_id, trader)
    payout_when(stack, failing_id, lambda p: p.status == "paying" and p.rail_reference)
    assert platform_balance(stack, failing_account) == Decimal("100000.00")
    stack.providers.bridge.fail(transfer_of(stack, failing_id))  # type: ignore[union-attr]

    def failed() -> Any:
        deliver_webhooks(stack)
        from propdesk.data.payouts import PayoutRepository

        payout = PayoutRepository().get(failing_id)
        return payout if payout is not None and payout.status == "failed" else None

    compensated = eventually(failed, timeout=WAIT, interval=3)
    assert compensated.failure_reason
    assert platform_balance(stack, failing_account) == Decimal("101000.00")  # put back, once
    from propdesk.data.events import TradingEventRepository

    deposits = [e for e in TradingEventRepository().replay(failing_account.account_id) if e.type == "deposit"]
    assert [e.payload["amount"] for e in deposits] == ["1000.00"]
