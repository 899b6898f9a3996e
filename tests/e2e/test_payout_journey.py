"""The payout journey end to end in the local cloud, with the Match-Trader platform and the Bridge rail faked
(their APIs; Bridge's RSA-signed webhooks sent to the stack's route):

- a funded account with 1,000 of closed profit; the trader (identity verified, a verified USDC wallet) asks
  for all of it; the workflow on Step Functions approves it automatically (an 800 share is under the firm's
  1,000), withdraws the 1,000 on the platform, asks Bridge to pay 800; Bridge's signed `payment_processed`
  webhook makes it `paid`, and the trader is mailed the statement (gross profit, shares, what was paid where);
- a second funded account's payment is refused by the network after the withdrawal (Bridge: `undeliverable`):
  the workflow puts the 1,000 back on the account (platform and engine), the payout fails, compensated."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from tests.e2e.harness import DeployedStack, bind_data_layer, eventually
from tests.e2e.payout_cloud_world import (
    PAID_SUBJECT,
    WAIT,
    WALLET,
    deliver_webhooks,
    funded_account,
    mail_to,
    paid_once_webhooks_flushed,
    payout_when,
    platform_balance,
    platform_secret,
    request_payout,
    signed_in_trader,
    transfer_of,
    verified_trader_with_a_wallet,
    with_profit,
)

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(1500)]


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

    settled = paid_once_webhooks_flushed(stack, payout_id)
    assert [s.status for s in settled.timeline] == ["approved", "withdrawn", "paying", "paid"]
    assert settled.paid_amount == Decimal("800.00") and settled.destination.startswith("0x5290")
    mail = mail_to(stack, email, PAID_SUBJECT)
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
