"""Publishing a program's next version (admin): the document as `GET /v1/programs/{id}` shows it, checked
by the engine (`Program.from_dict`), for the catalogue's keys and for its place in a program chain
(`propdesk.life.chain`: the next program exists, the chain ends funded, never loops) before it is stored as
a new, immutable version. The new version is what new orders and accounts are pinned to; existing
accounts keep theirs.

`ProgramPublishing.publish` stores it with its audit entry in one write (`ProgramCatalogue`, implemented by
`propdesk.data.catalogue.CatalogueRepository`); a document identical to the version on sale publishes
nothing; another version published meanwhile is a conflict (409).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

from propdesk.access import Identity
from propdesk.catalogue import summary_of
from propdesk.errors import ConflictError, InvalidInputError, VersionConflictError
from propdesk.life.chain import check_links, walk
from propdesk.purchases.currencies import CurrencyError, to_minor_units
from propdesk.records import AuditEntry, ProgramSummary, ProgramVersion


class ProgramCatalogue(Protocol):
    def get_program(self, program_id: str) -> ProgramSummary | None: ...

    def get_version(self, program_id: str, version: int) -> ProgramVersion | None: ...

    def publish(
        self,
        summary: ProgramSummary,
        document: dict[str, Any],
        published_at: datetime,
        audit: Callable[[int], AuditEntry] | None = None,
    ) -> int:
        """Store `document` as the next version with the audit entry for its number (or keep the version on
        sale if it is identical); returns the version on sale. VersionConflictError when another version
        took the number meanwhile."""
        ...


@dataclass(frozen=True, slots=True)
class PublishProgramVersion:
    program_id: str
    document: Mapping[str, Any]  # as `GET /v1/programs/{id}` shows it
    by: Identity
    at: datetime


@dataclass(frozen=True, slots=True)
class ProgramVersionPublished:
    program_id: str
    version: int  # on sale now
    previous_version: int | None

    @property
    def published(self) -> bool:
        """False when the document was the version on sale already (nothing was published)."""
        return self.version != self.previous_version


class ProgramPublishing:
    def __init__(self, catalogue: ProgramCatalogue, new_id: Callable[[], str]) -> None:
        self._catalogue = catalogue
        self._new_id = new_id

    def publish(self, command: PublishProgramVersion) -> ProgramVersionPublished:
        program_id = command.program_id
        summary, document = checked_document(program_id, command.document)
        self._check_chain(program_id, document)
        current = self._catalogue.get_program(program_id)
        previous = current.current_version if current is not None else None

        def audited(version: int) -> AuditEntry:
            prices = {currency: str(price) for currency, price in sorted(summary.prices.items())}
            return AuditEntry(
                entry_id=self._new_id(),
                at=command.at,
                actor=command.by.actor,
                actor_roles=command.by.staff_roles,
                action="program.version_published",
                subject=f"PROGRAM#{program_id}",
                reason=f"published version {version} of {program_id}",
                before={"version": previous},
                after={"version": version, "name": summary.name, "prices": prices},
            )

        try:
            version = self._catalogue.publish(summary, document, command.at, audited)
        except VersionConflictError:
            raise ConflictError(
                "another version was published meanwhile; reload and try again", "program_id"
            ) from None
        return ProgramVersionPublished(program_id, version, previous)

    def _check_chain(self, program_id: str, document: dict[str, Any]) -> None:
        """The chain from this document to its funded end, with this document in its program's place:
        the programs it names exist, and it never loops (ChainError, 422, on `next_program_id`)."""

        def document_of(wanted: str) -> dict[str, Any] | None:
            if wanted == program_id:
                return document
            summary = self._catalogue.get_program(wanted)
            version = self._catalogue.get_version(wanted, summary.current_version) if summary else None
            return version.document if version else None

        walk(program_id, document_of)


def checked_document(program_id: str, body: Mapping[str, Any]) -> tuple[ProgramSummary, dict[str, Any]]:
    """The catalogue entry and the document to store; InvalidInputError naming the field at fault."""
    from propdesk.engine.errors import ProgramError  # the engine: ~25 ms of import, only when publishing
    from propdesk.engine.program import Program
    from propdesk.payouts.policy import PayoutPolicyError
    from propdesk.payouts.shares import check_payout_terms

    document = dict(body)
    if document.get("program_id") not in (None, program_id):
        raise InvalidInputError(f"program_id must be the path's {program_id!r}", "program_id")
    document["program_id"] = program_id
    try:
        Program.from_dict(document)
    except ProgramError as error:
        raise InvalidInputError(error.message, error.field or "body") from None
    check_links(program_id, document)  # kind, next_program_id, staff_review (propdesk.life.chain)
    try:
        check_payout_terms(document)  # the split, schedule, refund, challenge and breach shares
    except PayoutPolicyError as error:
        raise InvalidInputError(error.message, error.field) from None
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
