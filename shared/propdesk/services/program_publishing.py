"""Publishing a program's next version (admin): the document as `GET /v1/programs/{id}` shows it, checked
by the engine (`Program.from_dict`) and for the catalogue's keys before it is stored as a new, immutable
version. The new version is what new orders and accounts are pinned to; existing accounts keep theirs."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from propdesk.catalogue import summary_of
from propdesk.engine.errors import ProgramError
from propdesk.engine.program import Program
from propdesk.errors import InvalidInputError
from propdesk.purchases.currencies import CurrencyError, to_minor_units
from propdesk.records import ProgramSummary


def checked_document(program_id: str, body: Mapping[str, Any]) -> tuple[ProgramSummary, dict[str, Any]]:
    """The catalogue entry and the document to store; InvalidInputError naming the field at fault."""
    document = dict(body)
    if document.get("program_id") not in (None, program_id):
        raise InvalidInputError(f"program_id must be the path's {program_id!r}", "program_id")
    document["program_id"] = program_id
    try:
        Program.from_dict(document)
    except ProgramError as error:
        raise InvalidInputError(error.message, error.field or "body") from None
    for currency, text in document["prices"].items():
        _check_price(currency, text)
    return summary_of(document), document


def _check_price(currency: str, text: object) -> None:
    field = f"prices.{currency}"
    try:
        price = Decimal(str(text)) if isinstance(text, str) else None
    except InvalidOperation:
        price = None
    if price is None or not price.is_finite() or price <= 0:
        raise InvalidInputError('a price is a positive decimal string, e.g. "499.00"', field)
    try:
        to_minor_units(price, currency)
    except CurrencyError as error:
        raise InvalidInputError(str(error), field) from None
