"""Keys, table definitions and cursors: the pure parts of the data layer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st
from propdesk.data import keys
from propdesk.data.paging import decode_cursor, encode_cursor
from propdesk.data.schema import MAIN_TABLE, create_table_request
from propdesk.errors import InvalidCursorError

moments = st.datetimes(
    min_value=datetime(2000, 1, 1),  # noqa: DTZ001 - hypothesis bounds are naive by definition
    max_value=datetime(2100, 1, 1),  # noqa: DTZ001
    timezones=st.just(UTC),
)


@given(moments, moments)
def test_event_keys_sort_in_time_order(first: datetime, second: datetime) -> None:
    a, b = keys.event_sk(first, "x"), keys.event_sk(second, "x")
    assert (a < b) == (first < second)


@given(moments, st.integers(min_value=-12, max_value=14))
def test_key_times_are_utc_whatever_the_offset(moment: datetime, hours: int) -> None:
    shifted = moment.astimezone(timezone(timedelta(hours=hours)))
    assert keys.key_time(shifted) == keys.key_time(moment)
    assert keys.parse_key_time(keys.key_time(moment)) == moment


def test_naive_times_are_refused_in_keys() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        keys.key_time(datetime(2026, 1, 1))  # noqa: DTZ001


def test_keys_follow_the_data_model() -> None:
    moment = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    assert keys.account_pk("a1") == "ACCOUNT#a1"
    assert keys.event_sk(moment, "e1") == "EVENT#2026-03-02T10:00:00.000000Z#e1"
    assert keys.breach_sk(moment, "daily_loss") == "BREACH#2026-03-02T10:00:00.000000Z#daily_loss"
    assert keys.version_sk(7) == "VERSION#000007"
    assert keys.reset_group("Europe/Prague", "00:00") == "RESET#Europe/Prague#00:00"


def test_the_main_table_request_matches_the_cdk_schema() -> None:
    request = create_table_request(MAIN_TABLE, "t")
    assert [k["AttributeName"] for k in request["KeySchema"]] == ["pk", "sk"]
    indexes = {i["IndexName"]: i["Projection"] for i in request["GlobalSecondaryIndexes"]}
    assert list(indexes) == ["gsi1", "gsi2", "outbox"]
    assert indexes["gsi2"] == {"ProjectionType": "ALL"}
    # the risk snapshots with pending effects: only their write time beside the keys (a snapshot is large)
    assert indexes["outbox"] == {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["updated_at"]}
    assert request["StreamSpecification"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"


def test_cursors_round_trip_and_only_for_their_partition() -> None:
    key = {"pk": {"S": "CATALOGUE"}, "sk": {"S": "PROGRAM#p1"}}
    cursor = encode_cursor(key)
    assert cursor is not None
    assert decode_cursor(cursor, "pk", "CATALOGUE") == key
    assert encode_cursor(None) is None and decode_cursor(None, "pk", "x") is None
    for bad in ("%%%", "bm90IGpzb24", cursor[:-3]):
        with pytest.raises(InvalidCursorError):
            decode_cursor(bad, "pk", "CATALOGUE")
    with pytest.raises(InvalidCursorError):
        decode_cursor(cursor, "pk", "TRADER#someone")


RULES = st.sampled_from(["daily_loss", "max_loss"])
IDENTITIES = st.sampled_from(["", "0-e1", "2-day_boundary-2"])


@given(moments, RULES, IDENTITIES)
def test_a_breach_id_names_exactly_its_breach_key_and_is_url_safe(at: datetime, rule: str, who: str) -> None:
    breach_sk = keys.breach_sk(at, rule, who)

    breach_id = keys.breach_id(breach_sk)

    assert keys.breach_sk_of_id(breach_id) == breach_sk
    assert set(breach_id) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


@pytest.mark.parametrize("handed_out_never", ["", "x", "not-a-breach", "%%%", "MjAyNi0wMy0wMg"])
def test_a_breach_id_the_api_never_handed_out_names_no_key(handed_out_never: str) -> None:
    assert keys.breach_sk_of_id(handed_out_never) is None
