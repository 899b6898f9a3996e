"""Program chains: each phase names the next, a chain ends funded and never loops."""

from __future__ import annotations

from typing import Any

import pytest
from propdesk.catalogue import demo_programs
from propdesk.life.chain import ChainError, check_catalogue, check_links, walk


def program(
    program_id: str, kind: str = "challenge", following: str | None = None, **extra: Any
) -> dict[str, Any]:
    return {"program_id": program_id, "name": program_id, "kind": kind, "next_program_id": following, **extra}


def catalogue(*documents: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {str(document["program_id"]): document for document in documents}


def test_a_two_step_chain_runs_from_phase_1_through_phase_2_to_funded() -> None:
    programs = catalogue(
        program("p1", following="p2"), program("p2", following="funded"), program("funded", "funded")
    )

    chain = walk("p1", programs.get)

    assert [step.program_id for step in chain] == ["p1", "p2", "funded"]
    assert [step.funded for step in chain] == [False, False, True]


def test_instant_funding_is_a_chain_of_one_funded_program() -> None:
    (step,) = walk("instant", catalogue(program("instant", "funded")).get)

    assert step.funded and step.next_program_id is None


def test_a_chain_that_loops_is_refused_naming_the_loop() -> None:
    programs = catalogue(program("a", following="b"), program("b", following="a"))

    with pytest.raises(ChainError, match="a → b → a") as refused:
        walk("a", programs.get)
    assert refused.value.field == "next_program_id"


def test_a_chain_naming_a_missing_program_is_refused() -> None:
    with pytest.raises(ChainError, match="'gone' does not exist"):
        walk("a", catalogue(program("a", following="gone")).get)


@pytest.mark.parametrize(
    ("document", "field", "message"),
    [
        (program("a"), "next_program_id", "names the program"),
        (program("a", "funded", following="b"), "next_program_id", "ends its chain"),
        (program("a", following="a"), "next_program_id", "cannot follow itself"),
        (program("a", "evaluation", following="b"), "kind", "kind must be"),
        (program("a", following=""), "next_program_id", "a program id or null"),
        (program("a", following="b", staff_review="yes"), "staff_review", "true or false"),
    ],
)
def test_a_malformed_link_is_refused_on_its_field(document: dict[str, Any], field: str, message: str) -> None:
    with pytest.raises(ChainError, match=message) as refused:
        check_links("a", document)
    assert refused.value.field == field
    assert refused.value.code == "invalid_program_chain"


def test_staff_review_is_off_unless_the_program_asks_for_it() -> None:
    assert not check_links("f", program("f", "funded")).staff_review
    assert check_links("f", program("f", "funded", staff_review=True)).staff_review


def test_every_demo_chain_ends_funded_and_the_firm_sells_1_2_3_step_and_instant_funding() -> None:
    chains = check_catalogue({p.summary.program_id: p.document for p in demo_programs()})

    lengths = {program_id: len(chain) for program_id, chain in chains.items()}
    assert lengths["one-step-100k"] == 2
    assert lengths["two-step-100k-phase-1"] == 3
    assert lengths["three-step-100k-phase-1"] == 4
    assert lengths["instant-funding-25k"] == 1
    assert all(chain[-1].funded for chain in chains.values())
