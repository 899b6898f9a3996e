"""What the KYC use case (`propdesk.kyc.verification`) needs from storage, as a Protocol: the DynamoDB store
is `propdesk.data.kyc.DynamoKycCaseStore`; tests use an in-memory one (`tests/doubles/kyc.py`).

A case is written whole with optimistic locking on `version`, together with what must follow the
transition (`Effect`s: events to announce, workflows to resume), the lookup of a new provider session and a
staff act's audit entry: all of it or nothing. Effects stay stored until `settle` says they were carried
out, so that the next act on the case carries out what a crash left behind.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from propdesk.kyc.case import VerificationCase
from propdesk.kyc.port import KycProviderName
from propdesk.records import AuditEntry, Page


class StaleCaseError(Exception):
    """The case changed (or appeared) since it was read: reload it and apply the act again."""


@dataclass(frozen=True, slots=True)
class Announcement:
    """A domain event to publish: its detail type and JSON detail (`effect_id` is the event's id)."""

    effect_id: str
    detail_type: str
    detail: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Resumption:
    """A workflow waiting on the case (its callback token) to resume with `output`."""

    effect_id: str
    task_token: str
    output: dict[str, Any]


Effect = Announcement | Resumption


@dataclass(frozen=True, slots=True)
class SessionLink:
    """A provider session and the trader whose case holds it: how a webhook finds its case."""

    provider: KycProviderName
    session_id: str
    trader_id: str


@dataclass(frozen=True, slots=True)
class StoredCase:
    case: VerificationCase
    version: int
    pending: tuple[Effect, ...] = ()  # effects saved but not yet carried out


class KycCaseStore(Protocol):
    def load(self, trader_id: str) -> StoredCase | None:
        """The trader's case with its pending effects (a strongly consistent read); None without a case."""
        ...

    def save(
        self,
        case: VerificationCase,
        expected_version: int,
        effects: Sequence[Effect] = (),
        sessions: Sequence[SessionLink] = (),
        audit: AuditEntry | None = None,
    ) -> int:
        """Write the case if its stored version is still `expected_version` (0: there is no case yet), with
        its effects, session lookups and audit entry, all or nothing; return the new version. Raises
        `StaleCaseError` when the version moved."""
        ...

    def settle(self, trader_id: str, effect_ids: Sequence[str]) -> None:
        """Forget effects that were carried out (unknown ids are ignored)."""
        ...

    def trader_of_session(self, provider: KycProviderName, session_id: str) -> str | None:
        """The trader whose case holds this provider session; None for a session no case ever held."""
        ...

    def awaiting_staff(self, limit: int = 50, cursor: str | None = None) -> Page[VerificationCase]:
        """The cases waiting for a staff decision (the review queue), longest waiting first."""
        ...
