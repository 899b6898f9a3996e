"""The news calendar the firm configures, as abuse detection reads it: the current version of every program
in the catalogue, each document with its `news` list (`propdesk.abuse.feeds.releases_of` merges them). A
page of catalogue entries, then one read per program (the catalogue is small; the caller caches the result
for minutes: `RefreshingCalendar`)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from propdesk.data.catalogue import CatalogueRepository

PAGE = 100


def published_program_documents(catalogue: CatalogueRepository | None = None) -> Iterator[dict[str, Any]]:
    repository = catalogue or CatalogueRepository()
    cursor: str | None = None
    while True:
        page = repository.list_programs(limit=PAGE, cursor=cursor)
        for summary in page.items:
            version = repository.get_version(summary.program_id, summary.current_version)
            if version is not None:
                yield version.document
        cursor = page.next_cursor
        if not cursor:
            return
