"""Pushed bodies are signed with the connection's own secret; anything else is a refusal, never a crash."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from propdesk.platforms.signing import PushVerifier, SignatureRejectedError, sign, verify

SECRET = "whsec_platform_connection_1"
BODY = b'{"deal_id":"d1","type":"close"}'
NOW = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
T = int(NOW.timestamp())


def reason(header: str | bytes | None, body: bytes = BODY, now: datetime = NOW, secret: str = SECRET) -> str:
    with pytest.raises(SignatureRejectedError) as caught:
        verify(header, body, secret, now)
    return caught.value.reason


def test_a_body_signed_with_the_connections_secret_verifies() -> None:
    header = sign(SECRET, BODY, T)
    assert header.startswith(f"t={T},v1=")
    assert verify(header, BODY, SECRET, NOW) == T
    assert verify(header.encode(), BODY, SECRET, NOW) == T


def test_a_changed_body_another_secret_or_a_forged_digest_is_refused() -> None:
    header = sign(SECRET, BODY, T)
    assert reason(header, body=BODY + b" ") == "digest_mismatch"
    assert reason(header, secret="another") == "digest_mismatch"
    assert reason(f"t={T},v1={'0' * 64}") == "digest_mismatch"


def test_the_replay_window_is_five_minutes_either_way() -> None:
    header = sign(SECRET, BODY, T)
    assert verify(header, BODY, SECRET, NOW + timedelta(minutes=5)) == T
    assert reason(header, now=NOW + timedelta(minutes=5, seconds=1)) == "timestamp_outside_tolerance"
    assert reason(header, now=NOW - timedelta(minutes=5, seconds=1)) == "timestamp_outside_tolerance"
    assert verify(header, BODY, SECRET, NOW + timedelta(minutes=9), timedelta(minutes=10)) == T


def test_during_a_rotation_either_secret_and_either_signature_verifies() -> None:
    old = sign("old-secret", BODY, T)
    new = sign("new-secret", BODY, T)
    assert verify(old, BODY, ["new-secret", "old-secret"], NOW) == T
    both = f"{new},{old.split(',')[1]}"
    assert verify(both, BODY, "old-secret", NOW) == T


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, "missing_header"),
        ("", "malformed_header"),
        ("garbage", "malformed_header"),
        ("v1=" + "a" * 64, "missing_timestamp"),
        (f"t={T}", "no_v1_signature"),
        (f"t=soon,v1={'a' * 64}", "malformed_timestamp"),
        (f"t={T},t={T},v1={'a' * 64}", "malformed_timestamp"),
        (f"t={T},v1=abc", "malformed_digest"),
        (f"t={T},v1={'é' * 64}", "non_ascii_header"),
        (f"t={T},v1={'a' * 64}".encode() + b"\xff", "non_ascii_header"),
        ("t=" + "9" * 5000, "malformed_header"),
    ],
)
def test_a_malformed_header_is_a_refusal_with_a_reason(header: str | bytes | None, expected: str) -> None:
    assert reason(header) == expected


def test_no_secret_configured_refuses_everything() -> None:
    assert reason(sign("", BODY, T), secret="") == "no_secret_configured"


def test_the_verifier_reads_the_secret_and_clock_on_each_call() -> None:
    current = ["first"]
    verifier = PushVerifier(lambda: current, lambda: NOW)
    assert verifier(sign("first", BODY, T), BODY) == T
    current[:] = ["second"]
    with pytest.raises(SignatureRejectedError):
        verifier(sign("first", BODY, T), BODY)


@given(header=st.one_of(st.text(max_size=200), st.binary(max_size=200)))
def test_any_header_verifies_or_is_refused_never_crashes(header: str | bytes) -> None:
    with contextlib.suppress(SignatureRejectedError):
        verify(header, BODY, SECRET, NOW)
