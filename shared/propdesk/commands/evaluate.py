"""`propdesk evaluate --program P.json --events E.jsonl [--start TIME] [--until TIME]`: replay a history.

Prints the evaluation (status, breaches, metrics) as one JSON object on stdout and exits 0. Invalid input
exits 2 with one line on stderr naming the file, the line and the field. A thin shell over `propdesk.engine`.
The account starts at `--start` when given (its opening, as on the Lambda path), else at the first event.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from propdesk.engine import EngineInputError, Evaluator, Program, TradingEvent, parse_event
from propdesk.engine.bounds import time_problem

INVALID_INPUT = 2


class InputError(Exception):
    """Invalid input, with the message to show."""


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "evaluate",
        help="replay an account's events against a program and print the verdict as JSON",
        description=__doc__,
    )
    parser.add_argument("--program", required=True, type=Path, help="program definition (JSON)")
    parser.add_argument("--events", required=True, type=Path, help="trading events, one JSON object per line")
    parser.add_argument("--start", help="the account's opening (ISO-8601); default: the first event's time")
    parser.add_argument("--until", help="move the clock to this ISO-8601 time after the last event")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    try:
        output = evaluate_files(args.program, args.events, args.until, args.start)
    except InputError as exc:
        print(f"propdesk evaluate: {exc}", file=sys.stderr)
        return INVALID_INPUT
    json.dump(output, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


def evaluate_files(
    program_path: Path, events_path: Path, until: str | None, start: str | None = None
) -> dict[str, Any]:
    program = _read_program(program_path)
    evaluator = Evaluator(program)
    opening = _read_time("--start", start)
    state = None if opening is None else evaluator.start(opening)
    for line_number, event in _read_events(events_path):
        try:
            if state is None:
                state = evaluator.start(event.time)
            evaluator.apply(state, event)
        except EngineInputError as exc:
            raise InputError(f"{events_path}: line {line_number}: field {exc.field}: {exc.message}") from None
    end = _read_time("--until", until)
    if state is None:
        if end is None:
            raise InputError(f"{events_path}: no events (give --until to evaluate an empty history)")
        state = evaluator.start(end)
    if end is not None:
        try:
            evaluator.advance_to(state, end)
        except EngineInputError as exc:
            raise InputError(f"--until: {exc.message}") from None
    return evaluator.result(state).to_dict()


def _read_program(path: Path) -> Program:
    try:
        # Numbers with a fraction stay floats so the engine refuses them, as it does on the Lambda path:
        # amounts are strings by contract. Bytes let json accept a UTF-8 byte-order mark.
        data = json.loads(path.read_bytes())
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: invalid JSON: {exc}") from None
    try:
        program = Program.from_dict(data)
    except EngineInputError as exc:
        raise InputError(f"{path}: field {exc.field or '(top level)'}: {exc.message}") from None
    from propdesk.payouts.policy import PayoutPolicyError
    from propdesk.payouts.shares import check_payout_terms

    try:
        check_payout_terms(data)
    except PayoutPolicyError as exc:
        raise InputError(f"{path}: field {exc.field}: {exc.message}") from None
    return program


def _read_events(path: Path) -> Iterator[tuple[int, TradingEvent]]:
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror}") from None
    with handle:
        for line_number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(f"{path}: line {line_number}: invalid JSON: {exc.msg}") from None
            except UnicodeDecodeError:
                raise InputError(f"{path}: line {line_number}: invalid JSON: not UTF-8 text") from None
            try:
                yield line_number, parse_event(data)
            except EngineInputError as exc:
                field = exc.field or "(event)"
                raise InputError(f"{path}: line {line_number}: field {field}: {exc.message}") from None


def _read_time(option: str, text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InputError(f"{option}: {text!r} is not an ISO-8601 time") from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InputError(f"{option}: {text!r} has no UTC offset")
    problem = time_problem(moment)
    if problem is not None:
        raise InputError(f"{option}: {problem}")
    return moment
