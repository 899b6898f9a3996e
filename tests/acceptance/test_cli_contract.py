"""Acceptance: `propdesk evaluate` run as issue 3's command-line contract says, on hand-computed cases.

Each folder under `cases/` holds `program.json`, `events.jsonl`, `expected.json` and `notes.md` (the
arithmetic, done by hand from the issue's text). `expected.json` is either a verdict (`status`, every
breach's `rule`, `time`, `effect`, `limit`, `value` in order, and the `metrics` named) or, for invalid input,
`exit_code` 2 and the words `stderr_contains` must hold (the line and the field).

The same verdicts must come out of the Lambda path's way of driving the engine: one stored event at a time,
the account state saved and restored between events, and the daily reset's `advance_to` for `end` events.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from propdesk.engine import AccountState, ClockAdvance, Evaluator, Program, parse_event

CASES_DIR = Path(__file__).resolve().parent / "cases"
CASES = sorted(path for path in CASES_DIR.iterdir() if path.is_dir())
PROPDESK = Path(sys.executable).parent / "propdesk"
BREACH_KEYS = ("rule", "time", "effect", "limit", "value")


def run_case(case: Path) -> subprocess.CompletedProcess[str]:
    command = [PROPDESK, "evaluate", "--program", case / "program.json", "--events", case / "events.jsonl"]
    return subprocess.run(
        [str(part) for part in command], capture_output=True, text=True, timeout=30, check=False
    )


def load_expected(case: Path) -> dict[str, Any]:
    expected: dict[str, Any] = json.loads((case / "expected.json").read_text(encoding="utf-8"))
    return expected


def test_every_case_is_complete() -> None:
    assert len(CASES) >= 30
    for case in CASES:
        missing = [
            name
            for name in ("program.json", "events.jsonl", "expected.json", "notes.md")
            if not (case / name).is_file()
        ]
        assert not missing, f"{case.name} lacks {missing}"


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_case(case: Path) -> None:
    expected = load_expected(case)
    run = run_case(case)
    if "exit_code" in expected:
        assert run.returncode == expected["exit_code"], run.stdout + run.stderr
        assert run.stdout == ""
        message = run.stderr.strip()
        assert len(message.splitlines()) == 1, message
        for words in expected["stderr_contains"]:
            assert words in message
        return
    assert run.returncode == 0, run.stderr
    assert run.stderr == ""
    output = json.loads(run.stdout)
    assert output["status"] == expected["status"]
    breaches = [{key: breach[key] for key in BREACH_KEYS} for breach in output["breaches"]]
    assert breaches == expected["breaches"]
    for breach in output["breaches"]:
        assert isinstance(breach["explanation"], str) and breach["explanation"].endswith(".")
    metrics = {key: output["metrics"][key] for key in expected["metrics"]}
    assert metrics == expected["metrics"]


def verdict(output: dict[str, Any], expected: dict[str, Any]) -> dict[str, Any]:
    """The parts of an output that `expected` names."""
    return {
        "status": output["status"],
        "breaches": [{key: breach[key] for key in BREACH_KEYS} for breach in output["breaches"]],
        "metrics": {key: output["metrics"][key] for key in expected["metrics"]},
    }


VERDICT_CASES = [case for case in CASES if "exit_code" not in load_expected(case)]


@pytest.mark.parametrize("case", VERDICT_CASES, ids=[case.name for case in VERDICT_CASES])
def test_the_lambda_paths_stepping_gives_the_same_verdict(case: Path) -> None:
    expected = load_expected(case)
    evaluator = Evaluator(Program.from_dict(json.loads((case / "program.json").read_text(encoding="utf-8"))))
    lines = (case / "events.jsonl").read_text(encoding="utf-8").splitlines()
    events = [parse_event(json.loads(line)) for line in lines if line.strip()]
    snapshot = evaluator.start(events[0].time).to_dict()
    for event in events:
        state = AccountState.from_dict(json.loads(json.dumps(snapshot)))  # as stored in DynamoDB
        if isinstance(event, ClockAdvance):
            evaluator.advance_to(state, event.time)  # the daily reset schedule
        else:
            evaluator.apply(state, event)
        snapshot = state.to_dict()
    output = evaluator.result(AccountState.from_dict(snapshot)).to_dict()
    assert verdict(output, expected) == {key: expected[key] for key in ("status", "breaches", "metrics")}
