"""The pushed messages: an account update lists only what its recalculation newly produced."""

from __future__ import annotations

from datetime import UTC, datetime

from propdesk.realtime.topics import account_topic, leaderboard_topic
from propdesk.realtime.updates import account_update, leaderboard_update, new_breaches, new_warnings, resync

AT = datetime(2026, 11, 25, 14, 30, tzinfo=UTC)
DAILY = {"rule": "daily_loss", "rule_index": 0, "time": "2026-11-25T14:30:00+00:00", "effect": "fail"}
USAGE = [{"rule": "daily_loss", "rule_index": 0, "floor": "95000.00", "used_share": "0.8200"}]


def test_an_update_carries_the_version_as_sequence_and_the_metrics_as_given() -> None:
    message = account_update(
        account_topic("acc-1"), 42, AT, {"balance": "99000.00"}, None, {"breaches": []}, None, {}
    )

    assert message == {
        "type": "account.update",
        "topic": "account:acc-1",
        "seq": 42,
        "at": "2026-11-25T14:30:00+00:00",
        "metrics": {"balance": "99000.00"},
        "warnings": [],
        "breaches": [],
    }


def test_only_breaches_the_previous_evaluation_did_not_list_are_new() -> None:
    later = {**DAILY, "rule": "max_loss", "time": "2026-11-25T15:00:00+00:00"}

    assert new_breaches(None, {"breaches": [DAILY]}) == [DAILY]
    assert new_breaches({"breaches": [DAILY]}, {"breaches": [DAILY]}) == []
    assert new_breaches({"breaches": [DAILY]}, {"breaches": [DAILY, later]}) == [later]


def test_a_warning_is_new_when_its_limit_was_not_warned_about_that_trading_day() -> None:
    evaluation = {"usage": USAGE}

    fresh = new_warnings(evaluation, {}, {"daily_loss#0": "2026-11-25"})
    again = new_warnings(evaluation, {"daily_loss#0": "2026-11-25"}, {"daily_loss#0": "2026-11-25"})
    next_day = new_warnings(evaluation, {"daily_loss#0": "2026-11-24"}, {"daily_loss#0": "2026-11-25"})

    assert fresh == [
        {"rule": "daily_loss", "rule_index": 0, "trading_day": "2026-11-25", "floor": "95000.00",
         "used_share": "0.8200"}
    ]  # fmt: skip
    assert again == []
    assert next_day == fresh


def test_leaderboard_moves_and_resync_notices_name_their_topic() -> None:
    topic = leaderboard_topic("p", "day")

    move = leaderboard_update(topic, "2026-11-25", {"entry_id": "e1", "return_percent": "1.5"})
    notice = resync(account_topic("acc-1"), 7)

    assert move["type"] == "leaderboard.update" and move["topic"] == "leaderboard:p:day"
    assert move["entry"] == {"entry_id": "e1", "return_percent": "1.5"}
    assert notice["type"] == "resync" and notice["since"] == 7 and notice["topic"] == "account:acc-1"
