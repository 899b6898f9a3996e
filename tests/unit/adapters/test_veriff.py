"""Veriff's webhook: the HMAC over the raw body, and decision codes as workflow decisions."""

from __future__ import annotations

import hashlib
import hmac

from propdesk.adapters.veriff import DecisionWebhook, shared_secret_of, signature_matches


def test_veriff_signatures_are_hex_hmac_sha256_of_the_raw_body() -> None:
    body = b'{"status":"success"}'
    good = hmac.new(b"secret", body, hashlib.sha256).hexdigest()
    assert signature_matches(body, good, "secret")
    assert signature_matches(body, good.upper(), "secret")
    assert not signature_matches(body + b" ", good, "secret")
    assert not signature_matches(body, good, "other")
    assert not signature_matches(body, None, "secret")
    assert shared_secret_of('{"api_key": "k", "shared_secret": "s"}') == "s"
    assert shared_secret_of("plain") == "plain"


def test_veriff_decision_codes_map_to_workflow_decisions() -> None:
    def webhook(code: int) -> DecisionWebhook:
        return DecisionWebhook.model_validate(
            {"status": "success", "verification": {"id": "v", "code": code, "status": "x", "vendorData": "t"}}
        )

    assert [webhook(code).decision for code in (9001, 9102, 9103, 9104, 9121)] == [
        "approved", "declined", "resubmission", "declined", None,
    ]  # fmt: skip
