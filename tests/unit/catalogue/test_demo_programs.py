"""The demo firm's programs: every one a valid engine program, priced in three currencies."""

from __future__ import annotations

from decimal import Decimal

from propdesk.catalogue import demo_programs
from propdesk.engine import Program


def test_every_demo_program_is_a_valid_engine_program_priced_in_three_currencies() -> None:
    programs = demo_programs()
    assert len(programs) >= 4
    for program in programs:
        parsed = Program.from_dict(program.document)
        assert parsed.initial_balance == program.summary.initial_balance
        assert set(program.summary.prices) == {"USD", "EUR", "GBP"}
        assert all(isinstance(price, Decimal) for price in program.summary.prices.values())
