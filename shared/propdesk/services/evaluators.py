"""Evaluators of pinned program versions, built once per execution environment (program versions are
immutable, so a built evaluator never goes stale)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from propdesk.engine import Evaluator, Program

if TYPE_CHECKING:
    from propdesk.records import Account
    from propdesk.services.risk_stores import ProgramVersionStore


class ProgramVersionNotStoredError(LookupError):
    """An account is pinned to a program version the catalogue lacks (a data error, not a client's)."""


class Evaluators:
    def __init__(self, catalogue: ProgramVersionStore) -> None:
        self._catalogue = catalogue
        self._built: dict[tuple[str, int], Evaluator] = {}

    def __call__(self, account: Account) -> Evaluator:
        key = (account.program_id, account.program_version)
        if key not in self._built:
            version = self._catalogue.get_version(*key)
            if version is None:
                raise ProgramVersionNotStoredError(f"program {key[0]} version {key[1]} is not stored")
            self._built[key] = Evaluator(Program.from_dict(version.document))
        return self._built[key]
