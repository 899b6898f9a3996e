"""Topic names: the two known forms, and shards that spread a leaderboard's subscribers."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from propdesk.realtime.topics import LEADERBOARD_SHARDS, TopicError, account_topic, parse_topic


def test_an_account_topic_round_trips_and_is_resumable_on_one_shard() -> None:
    topic = parse_topic("account:acc-1001")

    assert topic == account_topic("acc-1001")
    assert topic.name == "account:acc-1001"
    assert topic.resumable
    assert topic.shards == 1
    assert topic.shard_of("any-connection") == 0


def test_a_leaderboard_topic_names_program_and_period_and_spreads_over_shards() -> None:
    topic = parse_topic("leaderboard:two-step-100k:week")

    assert (topic.kind, topic.subject, topic.period) == ("leaderboard", "two-step-100k", "week")
    assert not topic.resumable
    assert topic.shards == LEADERBOARD_SHARDS
    shards = {topic.shard_of(f"conn-{n}") for n in range(200)}
    assert shards == set(range(LEADERBOARD_SHARDS))


@pytest.mark.parametrize(
    "text",
    [
        "",
        "account:",
        "account:a:b",
        "account:has space",
        "account:" + "x" * 129,
        "leaderboard:p",
        "leaderboard:p:year",
        "trader:t-1",
        "ACCOUNT:acc-1",
    ],
)
def test_anything_else_is_refused_with_the_forms_named(text: str) -> None:
    with pytest.raises(TopicError, match="account:"):
        parse_topic(text)


@given(st.text(max_size=300))
def test_parsing_never_fails_other_than_with_a_topic_error(text: str) -> None:
    try:
        topic = parse_topic(text)
    except TopicError:
        return
    assert parse_topic(topic.name) == topic
