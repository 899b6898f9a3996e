"""`POST /v1/platform/events` in-process against DynamoDB Local: only a push signed by the account's own
platform, inside the replay window, with numbers and times in bounds, stores anything; every refusal names
what is at fault and stores nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from propdesk.data.accounts import AccountRepository
from propdesk.data.events import TradingEventRepository
from propdesk.platforms import signing
from propdesk.platforms.push_auth import PushAuthentication
from propdesk.records import Account, PlatformReference
from propdesk.services.ingestion import EventIngestion
from propdesk.wiring.ingestion import signing_secrets

from functions.platform_events import handler as platform_events
from tests.doubles.ports import ManualClock, StaticSecrets
from tests.integration.dynamodb_local import TableNames
from tests.integration.factories import account
from tests.integration.invoke import LambdaContextStub, json_of, rest_request

pytestmark = pytest.mark.integration

CONTEXT = LambdaContextStub()
SECRETS = {"mt5": "mt5-signing-secret", "ctrader": "ctrader-signing-secret"}
SAMPLE_SECRET = "sample-mt5-signing-secret"  # signs events/apigateway/post_platform_events.json
SAMPLE_SIGNED_AT = datetime(2026, 3, 2, 8, 35, tzinfo=UTC)
NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)  # after every event below


@pytest.fixture(autouse=True)
def production_wiring_not_cached() -> Iterator[None]:
    platform_events.production_dependencies.cache_clear()
    yield
    platform_events.production_dependencies.cache_clear()


def dependencies(now: datetime = NOW, mt5_secret: str = SECRETS["mt5"]) -> platform_events.Dependencies:
    secrets = {**SECRETS, "mt5": mt5_secret}
    source = StaticSecrets(
        {f"arn:{name}": json.dumps({"signing_secret": value}) for name, value in secrets.items()}
    )
    return platform_events.Dependencies(
        ingestion=EventIngestion(AccountRepository(), TradingEventRepository()),
        authentication=PushAuthentication(
            signing_secrets({"mt5": "arn:mt5", "ctrader": "arn:ctrader"}, source)
        ),
        clock=ManualClock(now),
    )


def on_platform(account_id: str, platform: str = "mt5", **overrides: Any) -> Account:
    return replace(
        account(account_id, **overrides), platform=PlatformReference(platform, f"p-{account_id}", "7001")
    )


def push(
    body: str,
    *,
    platform: str = "mt5",
    secret: str | None = None,
    signed_at: datetime = NOW,
    now: datetime = NOW,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The route as a platform pushes: `body` signed with its secret (or `secret`) at `signed_at`."""
    signature = signing.sign(
        secret or SECRETS.get(platform, "unknown"), body.encode(), int(signed_at.timestamp())
    )
    event = rest_request("post_platform_events", body=body)
    event["headers"] = {
        "Content-Type": "application/json",
        "X-Propdesk-Platform": platform,
        "X-Propdesk-Signature": signature,
        **(headers or {}),
    }
    event["multiValueHeaders"] = {name: [value] for name, value in event["headers"].items()}
    return platform_events.process(event, CONTEXT, dependencies(now))


def post_events(account_id: str, events: list[dict[str, Any]], **options: Any) -> dict[str, Any]:
    return push(json.dumps({"account_id": account_id, "events": events}), **options)


def stored(account_id: str) -> list[str]:
    return [event.event_id for event in TradingEventRepository().replay(account_id)]


EQUITY = {"event_id": "e-1", "time": "2026-03-02T10:00:00+01:00", "type": "equity", "equity": "99000"}


# ------------------------------------------------------------------------------------------- accepted


def test_the_signed_sample_batch_is_stored_once_and_redelivery_is_a_no_op(tables: TableNames) -> None:
    AccountRepository().open(on_platform("acc-1001"))
    sample = rest_request("post_platform_events")
    deps = dependencies(SAMPLE_SIGNED_AT + timedelta(seconds=20), mt5_secret=SAMPLE_SECRET)

    first = platform_events.process(sample, CONTEXT, deps)
    again = platform_events.process(sample, CONTEXT, deps)

    assert first["statusCode"] == 202, first["body"]
    assert json_of(first)["accepted"] == ["mt5-deal-1", "mt5-eq-1", "mt5-deal-2"]
    assert json_of(again)["duplicates"] == ["mt5-deal-1", "mt5-eq-1", "mt5-deal-2"]
    assert stored("acc-1001") == ["mt5-deal-1", "mt5-eq-1", "mt5-deal-2"]


def test_a_push_signed_with_the_previous_secret_during_a_rotation_is_accepted(
    tables: TableNames, unique_id: str
) -> None:
    AccountRepository().open(on_platform(unique_id))
    body = json.dumps({"account_id": unique_id, "events": [EQUITY]})
    event = rest_request("post_platform_events", body=body)
    event["headers"] = {
        "x-propdesk-platform": "mt5",  # header names in any case
        "x-propdesk-signature": signing.sign("old-secret", body.encode(), int(NOW.timestamp())),
    }
    rotating = json.dumps({"signing_secret": "new-secret", "previous_signing_secret": "old-secret"})
    deps = replace(
        dependencies(),
        authentication=PushAuthentication(signing_secrets({"mt5": "arn"}, StaticSecrets({"arn": rotating}))),
    )

    response = platform_events.process(event, CONTEXT, deps)

    assert response["statusCode"] == 202, response["body"]
    assert stored(unique_id) == ["e-1"]


def test_a_paid_payouts_withdrawal_and_its_compensation_are_stored(
    tables: TableNames, unique_id: str
) -> None:
    AccountRepository().open(on_platform(unique_id))
    paid = {"event_id": "w-1", "time": "2026-03-02T10:00:00+01:00", "type": "withdrawal", "amount": "1234.56",
            "payout_id": "po-1"}  # fmt: skip
    back = {"event_id": "d-1", "time": "2026-03-02T11:00:00+01:00", "type": "deposit", "amount": "1234.56",
            "payout_id": "po-1"}  # fmt: skip

    response = post_events(unique_id, [paid, back])

    assert response["statusCode"] == 202
    events = list(TradingEventRepository().replay(unique_id))
    assert [(event.type, event.payload["amount"], event.payload["payout_id"]) for event in events] == [
        ("withdrawal", "1234.56", "po-1"),
        ("deposit", "1234.56", "po-1"),
    ]


def test_an_event_without_id_gets_one_derived_from_its_content(tables: TableNames, unique_id: str) -> None:
    AccountRepository().open(on_platform(unique_id))
    event = {"time": "2026-03-02T10:00:00+01:00", "type": "equity", "equity": "99000.00"}
    first = json_of(post_events(unique_id, [event]))
    second = json_of(post_events(unique_id, [event]))
    assert len(first["accepted"]) == 1
    assert second["duplicates"] == first["accepted"]


# ------------------------------------------------------------------------------ forged, replayed, foreign


@pytest.mark.parametrize(
    ("headers", "field"),
    [
        ({"X-Propdesk-Signature": ""}, "X-Propdesk-Signature"),
        ({"X-Propdesk-Signature": "t=1772452800,v1=" + "0" * 64}, "X-Propdesk-Signature"),
        ({"X-Propdesk-Signature": "v1=abc"}, "X-Propdesk-Signature"),
        ({"X-Propdesk-Platform": ""}, "X-Propdesk-Platform"),
        ({"X-Propdesk-Platform": "metatrader4"}, "X-Propdesk-Platform"),
    ],
)
def test_a_push_without_a_valid_signature_or_platform_is_401_and_nothing_is_stored(
    tables: TableNames, unique_id: str, headers: dict[str, str], field: str
) -> None:
    AccountRepository().open(on_platform(unique_id))

    response = post_events(unique_id, [EQUITY], headers=headers)

    assert response["statusCode"] == 401
    assert json_of(response)["error"] == {
        "code": "unauthorized", "message": json_of(response)["error"]["message"], "field": field
    }  # fmt: skip
    assert stored(unique_id) == []


def test_a_forged_body_signed_with_a_guessed_secret_is_401_and_nothing_is_stored(
    tables: TableNames, unique_id: str
) -> None:
    AccountRepository().open(on_platform(unique_id))

    response = post_events(unique_id, [EQUITY], secret="leaked-api-key")

    assert response["statusCode"] == 401
    assert stored(unique_id) == []


def test_a_signed_body_changed_in_transit_is_401_and_nothing_is_stored(
    tables: TableNames, unique_id: str
) -> None:
    AccountRepository().open(on_platform(unique_id))
    honest = json.dumps({"account_id": unique_id, "events": [EQUITY]})
    signature = signing.sign(SECRETS["mt5"], honest.encode(), int(NOW.timestamp()))
    inflated = honest.replace('"99000"', '"199000"')

    response = push(inflated, headers={"X-Propdesk-Signature": signature})

    assert response["statusCode"] == 401
    assert stored(unique_id) == []


def test_a_push_replayed_after_the_window_is_401_and_inside_it_stores_nothing_new(
    tables: TableNames, unique_id: str
) -> None:
    AccountRepository().open(on_platform(unique_id))
    body = json.dumps({"account_id": unique_id, "events": [EQUITY]})
    first = push(body, signed_at=NOW)
    signature = signing.sign(SECRETS["mt5"], body.encode(), int(NOW.timestamp()))

    inside = push(body, headers={"X-Propdesk-Signature": signature}, now=NOW + timedelta(minutes=4))
    after = push(body, headers={"X-Propdesk-Signature": signature}, now=NOW + timedelta(minutes=5, seconds=1))

    assert first["statusCode"] == 202
    assert (inside["statusCode"], json_of(inside)["accepted"]) == (202, [])
    assert after["statusCode"] == 401
    assert json_of(after)["error"]["field"] == "X-Propdesk-Signature"
    assert stored(unique_id) == ["e-1"]


def test_a_push_signed_in_the_future_beyond_the_window_is_401(tables: TableNames, unique_id: str) -> None:
    AccountRepository().open(on_platform(unique_id))

    response = post_events(unique_id, [EQUITY], signed_at=NOW + timedelta(minutes=6))

    assert response["statusCode"] == 401
    assert stored(unique_id) == []


def test_a_platform_pushing_for_an_account_on_another_platform_is_403_and_nothing_is_stored(
    tables: TableNames, unique_id: str
) -> None:
    AccountRepository().open(on_platform(unique_id, platform="mt5"))

    response = post_events(unique_id, [EQUITY], platform="ctrader")  # validly signed by cTrader

    assert response["statusCode"] == 403
    assert json_of(response)["error"]["field"] == "account_id"
    assert stored(unique_id) == []


def test_an_account_without_a_platform_reference_accepts_no_push(tables: TableNames, unique_id: str) -> None:
    AccountRepository().open(account(unique_id))

    response = post_events(unique_id, [EQUITY])

    assert response["statusCode"] == 403
    assert stored(unique_id) == []


def test_events_for_an_unknown_account_are_404(tables: TableNames, unique_id: str) -> None:
    response = post_events(unique_id, [EQUITY])
    assert response["statusCode"] == 404
    assert json_of(response)["error"]["field"] == "account_id"


# --------------------------------------------------------------------------------------------- shapes


def test_malformed_json_is_400_once_signed(tables: TableNames) -> None:
    response = push('{"account_id": ')
    assert response["statusCode"] == 400
    assert json_of(response)["error"]["code"] == "malformed_request"


def test_malformed_json_unsigned_is_401_before_it_is_read(tables: TableNames) -> None:
    response = push('{"account_id": ', secret="wrong")
    assert response["statusCode"] == 401


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"events": [{"type": "equity"}]}, "account_id"),
        ({"account_id": "a", "events": []}, "events"),
        ({"account_id": "a", "events": "nope"}, "events"),
        ({"account_id": 7, "events": [{}]}, "account_id"),
        ({"account_id": "a", "events": [{}], "extra": 1}, "extra"),
        ({"account_id": "a", "events": [{}]}, "events[0].type"),
        ({"account_id": "a", "events": [{"type": ["equity"]}]}, "events[0].type"),
    ],
)
def test_wrong_shapes_are_422_naming_the_field(
    tables: TableNames, body: dict[str, object], field: str
) -> None:
    response = push(json.dumps(body))
    assert response["statusCode"] == 422
    assert json_of(response)["error"]["field"] == field


def test_an_invalid_event_deep_in_the_batch_is_422_and_nothing_is_written(
    tables: TableNames, unique_id: str
) -> None:
    AccountRepository().open(on_platform(unique_id))
    bad = {
        "event_id": "bad-1",
        "time": "2026-03-02T10:01:00+01:00",
        "type": "position_closed",
        "position_id": "p",
    }

    response = post_events(unique_id, [EQUITY, bad])

    assert response["statusCode"] == 422
    assert json_of(response)["error"]["field"] == "events[1].profit"
    assert stored(unique_id) == []


POISON = [
    ("equity", "equity", "1E+100"),
    ("equity", "equity", "-1E+40"),
    ("equity", "equity", "1E+30"),
    ("equity", "equity", 10**13),
    ("equity", "equity", "99000.123456789"),
    ("position_closed", "profit", "1E+30"),
    ("position_opened", "volume", "1000000"),
    ("position_opened", "volume", "0"),
    ("position_opened", "stop_loss", "-1"),
    ("withdrawal", "amount", "0"),
    ("withdrawal", "amount", "1E+12"),
    ("deposit", "amount", "-5"),
]
BASE_EVENTS: dict[str, dict[str, object]] = {
    "equity": {"type": "equity", "equity": "99000"},
    "position_closed": {"type": "position_closed", "position_id": "p1", "profit": "1"},
    "withdrawal": {"type": "withdrawal", "amount": "100"},
    "deposit": {"type": "deposit", "amount": "100"},
    "position_opened": {
        "type": "position_opened", "position_id": "p1", "symbol": "EURUSD", "side": "buy", "volume": "1"
    },
}  # fmt: skip


@pytest.mark.parametrize(("kind", "field", "value"), POISON)
def test_a_number_out_of_the_engines_bounds_is_422_naming_the_field_and_nothing_is_stored(
    tables: TableNames, unique_id: str, kind: str, field: str, value: object
) -> None:
    AccountRepository().open(on_platform(unique_id))
    poison = {**BASE_EVENTS[kind], "event_id": "bad-1", "time": "2026-03-02T10:01:00+01:00", field: value}

    response = post_events(unique_id, [EQUITY, poison])

    assert response["statusCode"] == 422
    assert json_of(response)["error"]["field"] == f"events[1].{field}"
    assert stored(unique_id) == []


# ---------------------------------------------------------------------------------------------- times


def test_an_event_more_than_the_skew_ahead_of_the_clock_is_422_and_nothing_is_stored(
    tables: TableNames, unique_id: str
) -> None:
    AccountRepository().open(on_platform(unique_id))
    within = {"event_id": "e-1", "time": "2026-03-02T12:00:30+00:00", "type": "equity", "equity": "99000"}
    ahead = {"event_id": "e-2", "time": "2026-03-02T12:00:30.000001+00:00", "type": "equity", "equity": "1"}

    refused = post_events(unique_id, [within, ahead])
    accepted = post_events(unique_id, [within])

    assert refused["statusCode"] == 422
    assert json_of(refused)["error"]["field"] == "events[1].time"
    assert accepted["statusCode"] == 202
    assert stored(unique_id) == ["e-1"]


def test_an_event_before_the_account_opened_is_422_and_nothing_is_stored(
    tables: TableNames, unique_id: str
) -> None:
    AccountRepository().open(on_platform(unique_id, opened_at=datetime(2026, 3, 2, 8, 0, tzinfo=UTC)))
    early = {"event_id": "e-1", "time": "2026-03-02T07:59:59+00:00", "type": "equity", "equity": "99000"}

    response = post_events(unique_id, [early])

    assert response["statusCode"] == 422
    assert json_of(response)["error"]["field"] == "events[0].time"
    assert stored(unique_id) == []


def test_an_oversize_body_is_413_before_anything_else(tables: TableNames) -> None:
    response = push("x" * (256 * 1024 + 1))
    assert response["statusCode"] == 413
    assert json_of(response)["error"]["code"] == "payload_too_large"
