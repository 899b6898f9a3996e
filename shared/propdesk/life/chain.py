"""Program chains: each program document names the program that follows it.

A program document carries (besides the engine's keys):

- `kind`: `challenge` (an evaluation phase) or `funded` (a funded stage, with its own rules and its `payouts`
  policy, see `propdesk.payouts.policy`);
- `next_program_id`: the program a passed account continues in; every challenge names one, a funded program
  names none (`null`): a chain ends at a funded program;
- `staff_review` (optional, default `false`): a staff member approves before a passed account continues in
  this program.

So a 2-step chain is `phase-1 → phase-2 → funded`, a 1-step one `challenge → funded`, and instant funding a
funded program sold on its own (a chain of one). Chains may share their funded program; a chain never
loops. `check_links` checks one document's keys (on publishing); `walk` follows a chain through the
catalogue's documents and refuses a loop, a missing program and a chain that does not end funded.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from propdesk.errors import InvalidInputError

CHALLENGE = "challenge"
FUNDED = "funded"
Stage = Literal["challenge", "funded"]
STAGES: tuple[Stage, ...] = ("challenge", "funded")
MAX_STEPS = 10  # no firm runs a longer chain; a longer walk is a configuration fault


class ChainError(InvalidInputError):
    """A program chain that cannot be followed (a loop, a missing program, an end that is not funded, a
    malformed link); `field` names the document key at fault."""

    code = "invalid_program_chain"


@dataclass(frozen=True, slots=True)
class ChainStep:
    """One program of a chain, as its document links it."""

    program_id: str
    name: str
    stage: Stage
    next_program_id: str | None
    staff_review: bool = False

    @property
    def funded(self) -> bool:
        return self.stage == FUNDED


def check_links(program_id: str, document: Mapping[str, Any]) -> ChainStep:
    """The document's chain keys, checked on their own (the program it names is checked by `walk`)."""
    stage = document.get("kind")
    if stage not in STAGES:
        raise ChainError(f"kind must be one of {', '.join(STAGES)}", "kind")
    following = document.get("next_program_id")
    if following is not None and (not isinstance(following, str) or not following.strip()):
        raise ChainError("next_program_id must be a program id or null", "next_program_id")
    if stage == FUNDED and following is not None:
        raise ChainError("a funded program ends its chain: next_program_id must be null", "next_program_id")
    if stage == CHALLENGE and following is None:
        raise ChainError(
            "a challenge names the program a passed account continues in (next_program_id)",
            "next_program_id",
        )
    if following == program_id:
        raise ChainError("a program cannot follow itself", "next_program_id")
    review = document.get("staff_review", False)
    if not isinstance(review, bool):
        raise ChainError("staff_review must be true or false", "staff_review")
    return ChainStep(
        program_id=program_id,
        name=str(document.get("name") or program_id),
        stage=stage,
        next_program_id=following,
        staff_review=review,
    )


def walk(start: str, document_of: Callable[[str], Mapping[str, Any] | None]) -> tuple[ChainStep, ...]:
    """The chain from `start` to its funded end, each program read by `document_of` (None: missing).

    Raises ChainError on a loop, a missing program, a chain longer than MAX_STEPS, or a bad link."""
    steps: list[ChainStep] = []
    seen: set[str] = set()
    program_id: str | None = start
    while program_id is not None:
        if program_id in seen:
            path = " → ".join([*(step.program_id for step in steps), program_id])
            raise ChainError(f"the chain loops: {path}", "next_program_id")
        if len(steps) >= MAX_STEPS:
            raise ChainError(f"a chain has at most {MAX_STEPS} programs", "next_program_id")
        document = document_of(program_id)
        if document is None:
            raise ChainError(f"program {program_id!r} does not exist", "next_program_id")
        seen.add(program_id)
        step = check_links(program_id, document)
        steps.append(step)
        program_id = step.next_program_id
    if not steps[-1].funded:  # unreachable through check_links, kept as the chain's promise
        raise ChainError("a chain ends at a funded program", "next_program_id")
    return tuple(steps)


def check_catalogue(documents: Mapping[str, Mapping[str, Any]]) -> dict[str, tuple[ChainStep, ...]]:
    """Every program's chain in a whole catalogue (program id → document); raises on the first fault."""
    return {program_id: walk(program_id, documents.get) for program_id in sorted(documents)}
