"""Coinbase Commerce webhooks: the signature (hex HMAC-SHA256 of the raw body) is compared as bytes in
constant time, so a header holding non-ASCII characters is a refused signature (a 401), never a crash."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from propdesk.adapters.coinbase_commerce import CoinbaseCommerce, CoinbaseCredentials
from propdesk.purchases.ports import WebhookRejectedError

SECRET = "whsec-local"
BODY = b'{"event": {"id": "evt-1", "type": "charge:confirmed"}}'


def adapter() -> CoinbaseCommerce:
    return CoinbaseCommerce(lambda: CoinbaseCredentials(api_key="key", webhook_secret=SECRET))


def test_a_body_signed_with_the_webhook_secret_verifies() -> None:
    signature = hmac.new(SECRET.encode(), BODY, hashlib.sha256).hexdigest()

    assert adapter().verify_webhook(BODY, {"X-CC-Webhook-Signature": signature})["event"]


@pytest.mark.parametrize("signature", ["0" * 64, "é" * 64, "\u00a0deadbeef", "ünïcødé"])
def test_a_wrong_or_non_ascii_signature_is_refused_not_a_crash(signature: str) -> None:
    with pytest.raises(WebhookRejectedError):
        adapter().verify_webhook(BODY, {"X-CC-Webhook-Signature": signature})
