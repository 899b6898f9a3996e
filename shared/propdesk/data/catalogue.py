"""The program catalogue: entries on sale and their immutable, numbered versions."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from propdesk.data import keys
from propdesk.data.audit import AuditLog
from propdesk.data.models import CatalogueEntryItem, ProgramVersionItem
from propdesk.data.paging import check_limit, decode_cursor, to_page
from propdesk.errors import VersionConflictError
from propdesk.records import AuditEntry, Page, ProgramSummary, ProgramVersion


class CatalogueRepository:
    def list_programs(self, limit: int = 50, cursor: str | None = None) -> Page[ProgramSummary]:
        results = CatalogueEntryItem.query(
            keys.CATALOGUE_PK,
            CatalogueEntryItem.sk.startswith(keys.PROGRAM_PREFIX),
            limit=check_limit(limit),
            last_evaluated_key=decode_cursor(cursor, "pk", keys.CATALOGUE_PK),
        )
        return to_page(results, _summary)

    def get_program(self, program_id: str) -> ProgramSummary | None:
        try:
            return _summary(CatalogueEntryItem.get(keys.CATALOGUE_PK, keys.catalogue_sk(program_id)))
        except CatalogueEntryItem.DoesNotExist:
            return None

    def get_version(self, program_id: str, version: int) -> ProgramVersion | None:
        try:
            item = ProgramVersionItem.get(keys.program_pk(program_id), keys.version_sk(version))
        except ProgramVersionItem.DoesNotExist:
            return None
        return ProgramVersion(
            program_id=item.program_id,
            version=int(item.version),
            document=item.document,
            published_at=item.published_at,
        )

    def publish(
        self,
        summary: ProgramSummary,
        document: dict[str, Any],
        published_at: datetime,
        audit: Callable[[int], AuditEntry] | None = None,
    ) -> int:
        """Publish `document` as the program's next version (or keep the current one if it is identical).

        The version item and the catalogue entry are written in one transaction, conditional on the version
        not existing yet: two publishers cannot both claim a number. With `audit`, the audit entry for the
        new version number goes in the same transaction. Returns the version now on sale.
        """
        current = self.get_program(summary.program_id)
        if current is not None:
            on_sale = self.get_version(summary.program_id, current.current_version)
            if on_sale is not None and on_sale.document == document:
                return current.current_version
        version = 1 if current is None else current.current_version + 1
        version_item = ProgramVersionItem(
            keys.program_pk(summary.program_id),
            keys.version_sk(version),
            entity="program_version",
            program_id=summary.program_id,
            version=version,
            document=document,
            published_at=published_at,
        )
        entry = _entry_item(summary, version)
        connection = CatalogueEntryItem._get_connection().connection
        try:
            with TransactWrite(connection=connection) as transaction:
                transaction.save(version_item, condition=ProgramVersionItem.pk.does_not_exist())
                transaction.save(entry)
                if audit is not None:
                    AuditLog().append_in(transaction, audit(version))
        except TransactWriteError as error:
            raise VersionConflictError(
                f"version {version} of {summary.program_id} was published meanwhile"
            ) from error
        return version


def _entry_item(summary: ProgramSummary, version: int) -> CatalogueEntryItem:
    return CatalogueEntryItem(
        keys.CATALOGUE_PK,
        keys.catalogue_sk(summary.program_id),
        entity="catalogue_entry",
        program_id=summary.program_id,
        name=summary.name,
        current_version=version,
        currency=summary.currency,
        initial_balance=summary.initial_balance,
        prices={currency: str(price) for currency, price in summary.prices.items()},
        kind=summary.kind,
        description=summary.description,
    )


def _summary(item: CatalogueEntryItem) -> ProgramSummary:
    return ProgramSummary(
        program_id=item.program_id,
        name=item.name,
        current_version=int(item.current_version),
        currency=item.currency,
        initial_balance=item.initial_balance,
        prices={currency: Decimal(price) for currency, price in item.prices.items()},
        kind=item.kind,
        description=item.description,
    )
