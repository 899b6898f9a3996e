"""The demo firm's programs as data: one JSON document per program in `programs/`.

Each document is the engine's PROGRAM.json format plus catalogue keys: `program_id`, `kind` (`challenge` or
`funded`), `description`, `next_program_id` and `staff_review` (the program chain, see `propdesk.life.chain`:
1-step, 2-step and 3-step evaluations ending in their funded programs, and instant funding, a funded program
sold on its own), `payouts` (funded programs) and `prices` (currency → decimal string). Seeding publishes
them as version 1 (or the next version if a document changed).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from importlib import resources
from typing import Any

from propdesk.records import ProgramSummary


@dataclass(frozen=True, slots=True)
class CatalogueProgram:
    summary: ProgramSummary
    document: dict[str, Any]


def demo_programs() -> list[CatalogueProgram]:
    folder = resources.files(__package__).joinpath("programs")
    documents = [
        json.loads(entry.read_text(encoding="utf-8"))
        for entry in sorted(folder.iterdir(), key=lambda item: item.name)
        if entry.name.endswith(".json")
    ]
    return [CatalogueProgram(summary=summary_of(document), document=document) for document in documents]


def summary_of(document: dict[str, Any]) -> ProgramSummary:
    return ProgramSummary(
        program_id=str(document["program_id"]),
        name=str(document["name"]),
        current_version=0,
        currency=str(document["currency"]),
        initial_balance=Decimal(str(document["initial_balance"])),
        prices={currency: Decimal(price) for currency, price in document["prices"].items()},
        kind=str(document["kind"]),
        description=str(document.get("description", "")),
    )
