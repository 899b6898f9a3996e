"""`propdesk evaluate` through the real console command, as support staff and acceptance tests run it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[3]
FIXTURES = ROOT / "tests" / "fixtures" / "engine"
PROPDESK = Path(sys.executable).parent / "propdesk"


def propdesk(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(PROPDESK), *map(str, args)], capture_output=True, text=True, timeout=60, check=False
    )


def write_events(tmp_path: Path, *events: dict[str, Any] | str) -> Path:
    path = tmp_path / "events.jsonl"
    path.write_text(
        "\n".join(e if isinstance(e, str) else json.dumps(e) for e in events) + "\n", encoding="utf-8"
    )
    return path


def test_a_floating_loss_carried_over_midnight_is_reported_at_the_reset() -> None:
    run = propdesk(
        "evaluate", "--program", FIXTURES / "ftmo_phase1.json", "--events", FIXTURES / "carried_loss.jsonl"
    )
    assert run.returncode == 0, run.stderr
    output = json.loads(run.stdout)
    assert output["status"] == "failed"
    (breach,) = output["breaches"]
    assert {key: breach[key] for key in ("rule", "time", "effect", "limit", "value")} == {
        "rule": "daily_loss",
        "time": "2026-03-03T00:00:00+01:00",
        "effect": "fail",
        "limit": "97000.00",
        "value": "96000.00",
    }
    assert breach["explanation"]
    metrics = output["metrics"]
    assert {
        key: metrics[key]
        for key in (
            "balance",
            "equity",
            "daily_loss_floor",
            "max_loss_floor",
            "trading_days",
            "profit",
            "best_day_profit",
        )
    } == {
        "balance": "102000.00",
        "equity": "96000.00",
        "daily_loss_floor": "97000.00",
        "max_loss_floor": "90000.00",
        "trading_days": 1,
        "profit": "2000.00",
        "best_day_profit": "2000.00",
    }


def test_a_passing_history_prints_passed(tmp_path: Path) -> None:
    events = []
    for day, profit in zip((2, 3, 4, 5), ("3000", "2500", "2500", "2000"), strict=True):
        events += [
            {
                "time": f"2026-03-0{day}T10:00:00+01:00",
                "type": "position_opened",
                "position_id": f"p{day}",
                "symbol": "EURUSD",
                "side": "buy",
                "volume": "1.0",
            },
            {
                "time": f"2026-03-0{day}T16:00:00+01:00",
                "type": "position_closed",
                "position_id": f"p{day}",
                "profit": profit,
            },
        ]
    run = propdesk(
        "evaluate", "--program", FIXTURES / "ftmo_phase1.json", "--events", write_events(tmp_path, *events)
    )
    assert run.returncode == 0, run.stderr
    output = json.loads(run.stdout)
    assert (output["status"], output["breaches"], output["metrics"]["trading_days"]) == ("passed", [], 4)


def test_until_moves_the_clock_past_the_last_event(tmp_path: Path) -> None:
    events = write_events(
        tmp_path,
        {
            "time": "2026-03-02T10:00:00+01:00",
            "type": "position_opened",
            "position_id": "p1",
            "symbol": "EURUSD",
            "side": "buy",
            "volume": "1",
        },
        {
            "time": "2026-03-02T15:00:00+01:00",
            "type": "position_closed",
            "position_id": "p1",
            "profit": "2000",
        },
        {
            "time": "2026-03-02T16:00:00+01:00",
            "type": "position_opened",
            "position_id": "p2",
            "symbol": "EURUSD",
            "side": "buy",
            "volume": "1",
        },
        {"time": "2026-03-02T23:00:00+01:00", "type": "equity", "equity": "96000"},
    )
    before = json.loads(
        propdesk("evaluate", "--program", FIXTURES / "ftmo_phase1.json", "--events", events).stdout
    )
    assert before["status"] == "active"
    after = propdesk(
        "evaluate",
        "--program",
        FIXTURES / "ftmo_phase1.json",
        "--events",
        events,
        "--until",
        "2026-03-03T08:00:00+01:00",
    )
    assert json.loads(after.stdout)["status"] == "failed"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ('{"time": "2026-03-02T11:00:00+01:00", "type": "equity", "equity": "lots"}', "line 2: field equity"),
        ('{"time": "2026-03-02T11:00:00", "type": "equity", "equity": "1"}', "line 2: field time"),
        ('{"time": "2026-03-02T11:00:00+01:00", "type": "teleport"}', "line 2: field type"),
        (
            '{"time": "2026-03-02T11:00:00+01:00", "type": "position_closed", "position_id": "zz", '
            '"profit": "1"}',
            "line 2: field position_id",
        ),
        ('{"time": "2026-03-02T09:00:00+01:00", "type": "equity", "equity": "1"}', "line 2: field time"),
        ("{not json", "line 2: invalid JSON"),
        ('{"time": "2026-03-02T11:00:00+01:00", "type": "equity", "equity": "1E+100"}', "field equity"),
        ('{"time": "2026-03-02T11:00:00+01:00", "type": "equity", "equity": "-1E+40"}', "field equity"),
        ('{"time": "2026-03-02T11:00:00+01:00", "type": "equity", "equity": "0.1234567891"}', "field equity"),
        ('{"time": "9999-12-31T23:00:00+00:00", "type": "equity", "equity": "1"}', "line 2: field time"),
        (
            '{"time": "2026-03-02T11:00:00+01:00", "type": "position_opened", "position_id": "p", '
            '"symbol": "EURUSD", "side": "buy", "volume": "1E+9"}',
            "line 2: field volume",
        ),
    ],
)
def test_invalid_events_exit_2_naming_the_line_and_field(tmp_path: Path, line: str, expected: str) -> None:
    first = {"time": "2026-03-02T10:00:00+01:00", "type": "equity", "equity": "100000"}
    run = propdesk(
        "evaluate",
        "--program",
        FIXTURES / "ftmo_phase1.json",
        "--events",
        write_events(tmp_path, first, line),
    )
    assert run.returncode == 2
    assert expected in run.stderr
    assert run.stdout == ""


def test_an_invalid_program_exits_2_naming_the_field(tmp_path: Path) -> None:
    program = json.loads((FIXTURES / "ftmo_phase1.json").read_text())
    program["rules"][1]["mode"] = "sideways"
    path = tmp_path / "program.json"
    path.write_text(json.dumps(program))
    run = propdesk("evaluate", "--program", path, "--events", FIXTURES / "carried_loss.jsonl")
    assert run.returncode == 2
    assert "field rules[1].mode" in run.stderr


def test_unreadable_payout_terms_exit_2_naming_the_field(tmp_path: Path) -> None:
    program = json.loads((FIXTURES / "ftmo_phase1.json").read_text())
    program["payouts"] = {"breach_share": {"percent": "150"}}
    path = tmp_path / "program.json"
    path.write_text(json.dumps(program))
    run = propdesk("evaluate", "--program", path, "--events", FIXTURES / "carried_loss.jsonl")
    assert run.returncode == 2
    assert "field payouts.breach_share.percent" in run.stderr


def test_a_missing_file_exits_2(tmp_path: Path) -> None:
    run = propdesk(
        "evaluate", "--program", tmp_path / "nope.json", "--events", FIXTURES / "carried_loss.jsonl"
    )
    assert run.returncode == 2 and "cannot read" in run.stderr


def time_limited_program(tmp_path: Path) -> Path:
    path = tmp_path / "program.json"
    path.write_text(
        json.dumps(
            {"initial_balance": "10000", "timezone": "UTC", "rules": [{"type": "time_limit", "days": 10}]}
        ),
        encoding="utf-8",
    )
    return path


LATE_FIRST_EVENT = {"time": "2026-03-05T08:00:00+00:00", "type": "equity", "equity": "10000"}


def test_the_time_limit_counts_from_the_first_event_by_default(tmp_path: Path) -> None:
    events = write_events(tmp_path, LATE_FIRST_EVENT)
    run = propdesk("evaluate", "--program", time_limited_program(tmp_path), "--events", events,
                   "--until", "2026-03-12T09:00:00+00:00")  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["breaches"] == []


def test_start_sets_the_account_opening_the_time_limit_counts_from(tmp_path: Path) -> None:
    events = write_events(tmp_path, LATE_FIRST_EVENT)
    start, until = "2026-03-01T08:00:00+00:00", "2026-03-12T09:00:00+00:00"
    program = time_limited_program(tmp_path)
    run = propdesk("evaluate", "--program", program, "--events", events, "--start", start, "--until", until)
    assert run.returncode == 0, run.stderr
    output = json.loads(run.stdout)
    assert output["status"] == "failed"
    (breach,) = output["breaches"]
    assert (breach["rule"], breach["time"], breach["event_type"]) == (
        "time_limit", "2026-03-11T08:00:00+00:00", "deadline"
    )  # fmt: skip


def test_a_start_after_the_first_event_or_without_offset_exits_2(tmp_path: Path) -> None:
    events = write_events(tmp_path, LATE_FIRST_EVENT)
    program = time_limited_program(tmp_path)
    after = "2026-03-06T00:00:00+00:00"
    late = propdesk("evaluate", "--program", program, "--events", events, "--start", after)
    assert late.returncode == 2 and "line 1" in late.stderr and "field time" in late.stderr
    naive = propdesk("evaluate", "--program", program, "--events", events, "--start", "2026-03-01T08:00:00")
    assert naive.returncode == 2 and "--start" in naive.stderr


def test_an_absurd_profit_exits_2_naming_the_line_and_field(tmp_path: Path) -> None:
    opened = {"time": "2026-03-02T10:00:00+01:00", "type": "position_opened", "position_id": "p1",
              "symbol": "EURUSD", "side": "buy", "volume": "1"}  # fmt: skip
    absurd = {"time": "2026-03-02T11:00:00+01:00", "type": "position_closed", "position_id": "p1",
              "profit": "1E+30"}  # fmt: skip
    run = propdesk("evaluate", "--program", FIXTURES / "ftmo_phase1.json", "--events",
                   write_events(tmp_path, opened, absurd))  # fmt: skip
    assert run.returncode == 2
    assert "line 2: field profit" in run.stderr and "Traceback" not in run.stderr


@pytest.mark.parametrize("option", ["--start", "--until"])
def test_a_start_or_until_outside_the_engines_calendar_exits_2(tmp_path: Path, option: str) -> None:
    events = write_events(tmp_path, LATE_FIRST_EVENT)
    program = time_limited_program(tmp_path)
    run = propdesk("evaluate", "--program", program, "--events", events, option, "9999-12-31T00:00:00+00:00")
    assert run.returncode == 2
    assert option in run.stderr and "Traceback" not in run.stderr
