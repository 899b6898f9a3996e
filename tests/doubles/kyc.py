"""In-memory doubles for the KYC use case: a case store keeping the store Protocol's promises (versions,
all-or-nothing saves with effects, session lookups and audit entries) and a KYC provider keeping the port's
(a session per attempt reference, signed webhooks, decisions to poll), so that the use case's tests need no
DynamoDB and no network. Switches inject what production meets: lost races, a provider that is down."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from propdesk.kyc.case import VerificationCase
from propdesk.kyc.port import (
    Applicant,
    KycProviderName,
    KycProviderUnavailableError,
    KycSession,
    Outcome,
    ProviderDecision,
    ProviderProgress,
    WebhookRefusedError,
)
from propdesk.kyc.store import Effect, SessionLink, StaleCaseError, StoredCase
from propdesk.records import AuditEntry, Page

SIGNATURE_HEADER = "X-Memory-Signature"
SECRET = b"in-memory-kyc-secret"


@dataclass
class _Row:
    case: VerificationCase
    version: int
    pending: dict[str, Effect] = field(default_factory=dict)


class InMemoryKycCaseStore:
    def __init__(self) -> None:
        self.rows: dict[str, _Row] = {}
        self.sessions: dict[tuple[str, str], str] = {}
        self.audit: list[AuditEntry] = []
        self.saves = 0
        self.races = 0  # the next saves find the version moved (another writer won)
        self.before_save: Callable[[], None] | None = None  # runs once, just before the next save

    def load(self, trader_id: str) -> StoredCase | None:
        row = self.rows.get(trader_id)
        if row is None:
            return None
        return StoredCase(row.case, row.version, tuple(row.pending.values()))

    def save(
        self,
        case: VerificationCase,
        expected_version: int,
        effects: Sequence[Effect] = (),
        sessions: Sequence[SessionLink] = (),
        audit: AuditEntry | None = None,
    ) -> int:
        if self.before_save is not None:
            interleaved, self.before_save = self.before_save, None
            interleaved()
        if self.races:
            self.races -= 1
            raise StaleCaseError("another writer won (injected)")
        row = self.rows.get(case.trader_id)
        if (row.version if row else 0) != expected_version:
            raise StaleCaseError(f"version {row.version if row else 0} is not {expected_version}")
        pending = dict(row.pending) if row else {}
        pending.update((effect.effect_id, effect) for effect in effects)
        self.rows[case.trader_id] = _Row(case, expected_version + 1, pending)
        for link in sessions:
            self.sessions[(link.provider, link.session_id)] = link.trader_id
        if audit is not None:
            self.audit.append(audit)
        self.saves += 1
        return expected_version + 1

    def settle(self, trader_id: str, effect_ids: Sequence[str]) -> None:
        row = self.rows.get(trader_id)
        if row is not None:
            for effect_id in effect_ids:
                row.pending.pop(effect_id, None)

    def trader_of_session(self, provider: KycProviderName, session_id: str) -> str | None:
        return self.sessions.get((provider, session_id))

    def awaiting_staff(self, limit: int = 50, cursor: str | None = None) -> Page[VerificationCase]:
        waiting = [row.case for row in self.rows.values() if row.case.status == "awaiting_staff"]
        waiting.sort(key=lambda case: case.current.decided_at or case.current.opened_at)
        start = int(cursor or 0)
        more = start + limit < len(waiting)
        return Page(waiting[start : start + limit], str(start + limit) if more else None)

    def case(self, trader_id: str) -> VerificationCase:
        return self.rows[trader_id].case


class InMemoryKycProvider:
    """A provider whose sessions are `mem-1`, `mem-2`, ... with a page URL each; `decide` plays the trader
    and the provider and returns the signed webhook a real provider would send."""

    def __init__(self, name: KycProviderName = "veriff", clock: Callable[[], datetime] | None = None) -> None:
        self.name: KycProviderName = name
        self.sessions: dict[str, KycSession] = {}  # by session id
        self.created: list[Applicant] = []
        self.unavailable = 0  # the next create_session calls fail as if the provider were down
        self._clock = clock
        self._ids = itertools.count(1)

    def create_session(self, applicant: Applicant) -> KycSession:
        if self.unavailable:
            self.unavailable -= 1
            raise KycProviderUnavailableError("the provider is down (injected)")
        self.created.append(applicant)
        session_id = f"mem-{next(self._ids)}"
        session = KycSession(self.name, applicant.reference, session_id, f"https://kyc.test/v/{session_id}")
        self.sessions[session_id] = session
        return session

    def session_for(self, reference: str) -> KycSession:
        """The latest session opened for this attempt reference."""
        return [s for s in self.sessions.values() if s.reference == reference][-1]

    def decide(
        self, session_id: str, outcome: Outcome, reasons: Sequence[str] = ()
    ) -> tuple[bytes, dict[str, str]]:
        document = {"session": session_id, "outcome": outcome, "reasons": list(reasons)}
        body = json.dumps(document, sort_keys=True).encode()
        return body, {SIGNATURE_HEADER: hmac.new(SECRET, body, hashlib.sha256).hexdigest()}

    def decision_of(self, session_id: str, outcome: Outcome, reasons: Sequence[str] = ()) -> ProviderDecision:
        body, headers = self.decide(session_id, outcome, reasons)
        verified = self.verify_webhook(body, headers)
        assert isinstance(verified, ProviderDecision)
        return verified

    def verify_webhook(
        self, raw_body: bytes, headers: Mapping[str, str]
    ) -> ProviderDecision | ProviderProgress:
        presented = next((v for k, v in headers.items() if k.lower() == SIGNATURE_HEADER.lower()), "")
        expected = hmac.new(SECRET, raw_body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected.encode(), presented.encode("utf-8", "replace")):
            raise WebhookRefusedError(
                "the signature does not match the body", "bad_signature", SIGNATURE_HEADER
            )
        document = json.loads(raw_body)
        session = self.sessions.get(document["session"])
        return ProviderDecision(
            provider=self.name,
            session_id=document["session"],
            reference=session.reference if session else None,
            outcome=document["outcome"],
            provider_code=f"memory:{document['outcome']}",
            reason_codes=tuple(document["reasons"]),
            decided_at=self._clock() if self._clock else None,
            delivery_id=f"memory:{hashlib.sha256(raw_body).hexdigest()[:16]}",
        )

    def decision(self, session_id: str) -> ProviderDecision | None:
        return None
