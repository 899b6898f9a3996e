"""What both KYC adapters stand on: rotating secrets, byte-wise signature checks, the outbound call policy."""

from __future__ import annotations

import hashlib
import hmac

import httpx
import pytest
from propdesk.adapters.kyc.credentials import SecretsManagerReader, TtlSecrets, secret_fields
from propdesk.adapters.kyc.payloads import utc_time
from propdesk.adapters.kyc.signing import delivery_id, header, signature_matches
from propdesk.kyc.port import KycProviderRejectedError, KycProviderUnavailableError

from tests.doubles.ports import StaticSecrets
from tests.doubles.timing import FakeTime
from tests.unit.kyc.http_stub import ScriptedProvider, calls_for, ok


class CountingSecrets(StaticSecrets):
    reads: int = 0

    def get(self, secret_id: str) -> str:
        self.reads += 1
        return super().get(secret_id)


def test_a_secret_is_read_once_per_ttl_and_again_after_it() -> None:
    source, time = CountingSecrets({"s": "one"}), FakeTime()
    secrets = TtlSecrets(source, ttl=60, clock=time.monotonic)
    assert secrets.get("s") == secrets.get("s") == "one"
    source.values["s"] = "two"
    time.now += 59
    assert secrets.get("s") == "one"
    time.now += 2
    assert secrets.get("s") == "two"
    assert source.reads == 2


def test_a_forced_refresh_is_rate_limited() -> None:
    source, time = CountingSecrets({"s": "one"}), FakeTime()
    secrets = TtlSecrets(source, ttl=300, clock=time.monotonic, min_refresh_interval=5)
    secrets.get("s")
    source.values["s"] = "two"
    assert secrets.refresh("s") == "one"  # read a moment ago: a flood of bad signatures reads nothing more
    time.now += 5
    assert secrets.refresh("s") == "two"
    assert source.reads == 2


def test_secrets_manager_is_read_on_every_call_underneath_the_ttl_cache() -> None:
    class Client:
        calls = 0

        def get_secret_value(self, SecretId: str) -> dict[str, str]:  # noqa: N803 - boto3's name
            Client.calls += 1
            return {"SecretString": f"v{Client.calls}"}

    reader = SecretsManagerReader(lambda: Client())  # type: ignore[arg-type, return-value]
    assert (reader.get("id"), reader.get("id")) == ("v1", "v2")


@pytest.mark.parametrize(
    ("text", "fields"),
    [
        ('{"api_key": "k", "shared_secret": "s", "n": 1}', {"api_key": "k", "shared_secret": "s"}),
        ("[1]", {}),
        ("x", {}),
    ],
)
def test_only_the_string_fields_of_a_json_secret_are_read(text: str, fields: dict[str, str]) -> None:
    assert secret_fields(text) == fields


def test_signatures_match_any_current_secret_in_any_case_and_never_an_empty_one() -> None:
    body = b'{"a":1}'
    digest = hmac.new(b"new", body, hashlib.sha256).hexdigest()
    assert signature_matches(body, digest.upper(), ["old", "new"])
    assert not signature_matches(body, digest, ["old"])
    assert not signature_matches(body, hmac.new(b"", body, hashlib.sha256).hexdigest(), [""])
    assert not signature_matches(body, "\u00e9\ud800", ["new"])


def test_headers_are_found_whatever_their_case_and_delivery_ids_follow_the_bytes() -> None:
    assert header({"X-Payload-Digest": "d"}, "x-payload-digest") == "d"
    assert header({}, "x") is None
    assert delivery_id("sumsub", b"a") == delivery_id("sumsub", b"a") != delivery_id("sumsub", b"b")


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("2025-03-05 04:41:48.704", "2025-03-05T04:41:48.704000+00:00"),
        ("2025-03-05 04:41:48+0000", "2025-03-05T04:41:48+00:00"),
        ("2026-11-25T13:05:00.000Z", "2026-11-25T13:05:00+00:00"),
        ("1700000000000", "2023-11-14T22:13:20+00:00"),
    ],
)
def test_provider_times_are_read_as_utc(text: str, iso: str) -> None:
    moment = utc_time(text)
    assert moment is not None and moment.isoformat() == iso


@pytest.mark.parametrize("text", [None, "", "yesterday", 17])
def test_unreadable_times_are_none(text: object) -> None:
    assert utc_time(text) is None


@pytest.mark.parametrize(
    ("failure", "idempotent", "attempts"),
    [
        (httpx.ConnectError("refused"), False, 3),  # never reached the provider: always safe
        (httpx.ReadTimeout("lost"), False, 1),  # may have acted: only idempotent calls
        (httpx.ReadTimeout("lost"), True, 3),
        (ok({}, 502), False, 3),
        (ok({}, 500), False, 1),
        (ok({}, 500), True, 3),
    ],
)
def test_what_is_retried(failure: httpx.Response | Exception, idempotent: bool, attempts: int) -> None:
    stub, time = ScriptedProvider(), FakeTime()
    stub.answer("POST", "/x", failure)
    with pytest.raises(KycProviderUnavailableError):
        calls_for(stub, "p", time).send("POST", "/x", lambda *_: {}, b"{}", idempotent=idempotent)
    assert len(stub.requests) == attempts


def test_headers_are_signed_afresh_for_every_attempt() -> None:
    stub, time = ScriptedProvider(), FakeTime()
    stub.answer("GET", "/x", ok({}, 503), ok({"fine": True}))
    signed: list[int] = []

    def sign(method: str, path: str, body: bytes) -> dict[str, str]:
        signed.append(len(signed))
        return {"X-Try": str(len(signed))}

    answer = calls_for(stub, "p", time).send("GET", "/x", sign)
    assert answer.body == {"fine": True}
    assert [r.headers["X-Try"] for r in stub.requests] == ["1", "2"]


def test_an_answer_that_is_not_json_is_a_rejection() -> None:
    stub, time = ScriptedProvider(), FakeTime()
    stub.answer("GET", "/x", httpx.Response(200, content=b"<html>"))
    with pytest.raises(KycProviderRejectedError, match="not JSON"):
        calls_for(stub, "p", time).send("GET", "/x", lambda *_: {})
