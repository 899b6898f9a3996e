"""Who pushed this body: a platform's own signature over the timestamp and the raw body, inside the replay
window, and nobody else's."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest
from propdesk.errors import UnauthorizedError
from propdesk.platforms.port import PlatformName
from propdesk.platforms.push_auth import PushAuthentication
from propdesk.platforms.signing import Secret, sign

NOW = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
BODY = b'{"account_id":"acc-1","events":[{"type":"equity","time":"2026-12-07T09:59:00Z","equity":"1"}]}'
SECRETS: dict[str, list[Secret]] = {"mt5": ["mt5-secret"], "ctrader": ["ctrader-secret"], "dxtrade": []}


def secrets(platform: PlatformName) -> Sequence[Secret]:
    return SECRETS[platform]  # KeyError for a platform without a connection


AUTH = PushAuthentication(secrets)


def signed(secret: str = "mt5-secret", at: datetime = NOW, body: bytes = BODY) -> str:  # noqa: S107
    return sign(secret, body, int(at.timestamp()))


def test_a_body_signed_by_the_named_platform_inside_the_window_is_that_platforms() -> None:
    assert AUTH.authenticate("mt5", signed(), BODY, NOW + timedelta(minutes=4, seconds=59)) == "mt5"


def test_the_platform_header_is_read_case_blind() -> None:
    assert AUTH.authenticate(" MT5 ", signed(), BODY, NOW) == "mt5"


@pytest.mark.parametrize("delta", [timedelta(minutes=5, seconds=1), -timedelta(minutes=5, seconds=1)])
def test_a_signature_older_or_newer_than_five_minutes_is_refused(delta: timedelta) -> None:
    with pytest.raises(UnauthorizedError) as refused:
        AUTH.authenticate("mt5", signed(), BODY, NOW + delta)
    assert refused.value.field == "X-Propdesk-Signature"
    assert "timestamp_outside_tolerance" in refused.value.message


def test_the_window_is_a_setting() -> None:
    narrow = PushAuthentication(secrets, window=timedelta(seconds=30))
    with pytest.raises(UnauthorizedError):
        narrow.authenticate("mt5", signed(), BODY, NOW + timedelta(seconds=31))


def test_one_platforms_signature_never_authenticates_another() -> None:
    with pytest.raises(UnauthorizedError) as refused:
        AUTH.authenticate("ctrader", signed("mt5-secret"), BODY, NOW)
    assert "digest_mismatch" in refused.value.message


def test_a_changed_body_or_a_changed_timestamp_is_refused() -> None:
    header = signed()
    with pytest.raises(UnauthorizedError):
        AUTH.authenticate("mt5", header, BODY.replace(b'"1"', b'"9"'), NOW)
    moved = header.replace(f"t={int(NOW.timestamp())}", f"t={int(NOW.timestamp()) + 1}")
    with pytest.raises(UnauthorizedError):
        AUTH.authenticate("mt5", moved, BODY, NOW)


@pytest.mark.parametrize("platform", [None, "", "mt4", "match_trader", "mt5\x00"])
def test_an_unknown_or_missing_platform_is_refused_naming_the_header(platform: str | None) -> None:
    with pytest.raises(UnauthorizedError) as refused:
        AUTH.authenticate(platform, signed(), BODY, NOW)
    assert refused.value.field == "X-Propdesk-Platform"


@pytest.mark.parametrize("platform", ["dxtrade", "tradelocker"])  # no secret; no connection at all
def test_a_platform_without_a_secret_can_push_nothing(platform: str) -> None:
    with pytest.raises(UnauthorizedError) as refused:
        AUTH.authenticate(platform, signed(""), BODY, NOW)
    assert refused.value.field == "X-Propdesk-Signature"


@pytest.mark.parametrize("header", [None, "", "garbage", "t=1,v1=zz", "v1=" + "0" * 64, "t=é,v1=" + "0" * 64])
def test_any_malformed_signature_is_a_401_never_a_crash(header: str | None) -> None:
    with pytest.raises(UnauthorizedError):
        AUTH.authenticate("mt5", header, BODY, NOW)
