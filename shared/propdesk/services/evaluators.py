"""The evaluator cache: an evaluator per pinned program version, built once per execution environment
(program versions are immutable, so a built evaluator never goes stale). The risk service, live updates and
the accounts API share it."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from propdesk.engine import DEFAULT_WARN_AT, Evaluator, Program
from propdesk.errors import ProgramVersionMissingError

if TYPE_CHECKING:
    from propdesk.records import Account
    from propdesk.services.risk_stores import ProgramVersionStore


class Evaluators:
    def __init__(self, catalogue: ProgramVersionStore, warn_at: Decimal | None = DEFAULT_WARN_AT) -> None:
        """`warn_at`: the used share of a loss limit at which the evaluators warn (None: never)."""
        self._catalogue = catalogue
        self._warn_at = warn_at
        self._built: dict[tuple[str, int], Evaluator] = {}

    def __call__(self, account: Account) -> Evaluator:
        """The evaluator of the account's program version (`ProgramVersionMissingError` if not stored)."""
        key = (account.program_id, account.program_version)
        if key not in self._built:
            version = self._catalogue.get_version(*key)
            if version is None:
                raise ProgramVersionMissingError(
                    f"program {key[0]} version {key[1]} is not stored", "account_id"
                )
            self._built[key] = Evaluator(Program.from_dict(version.document), warn_at=self._warn_at)
        return self._built[key]
