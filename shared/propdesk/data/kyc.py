"""KYC cases in the main table (`propdesk.kyc.store.KycCaseStore` on DynamoDB):

- `KYC#{trader_id}` / `KYC`: the case (`propdesk.kyc.case.VerificationCase`) as one JSON document beside its
  `status`, written whole with a condition on `version`; in GSI2 (`KYC_QUEUE#awaiting_staff`, sparse) while
  it waits for a staff decision;
- `KYC#{trader_id}` / `KYC#EFFECT#{effect_id}`: effects of a transition not yet carried out;
- `KYCSESSION#{provider}#{session_id}` / `KYC`: which trader's case holds a provider session.

A save writes the case, its effects, new session lookups and a staff act's audit entry in one transaction.
The document holds provider ids, codes, dates, the workflows' callback tokens and the trader's verification
URL (a bearer link, shown to the trader only); no name, document or image.

`KycRepository` is what other features read: the case's status (`records.KycCase`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from propdesk.data import keys
from propdesk.data.audit import AuditLog
from propdesk.data.models import KycCaseItem, KycEffectItem, KycSessionItem, MainTableModel
from propdesk.data.paging import check_limit, decode_cursor, to_page
from propdesk.kyc.case import Attempt, Need, VerificationCase
from propdesk.kyc.store import Announcement, Effect, Resumption, SessionLink, StaleCaseError, StoredCase
from propdesk.records import AuditEntry, KycCase, KycStatus, Page

TRANSACTION_CANCELED = "TransactionCanceledException"
REVIEW_QUEUE = "awaiting_staff"
_LEGACY_STATUS: dict[str, KycStatus] = {"approved": "approved", "declined": "declined", "expired": "expired"}


class DynamoKycCaseStore:
    def __init__(self, audit: AuditLog | None = None) -> None:
        self._audit = audit or AuditLog()

    def load(self, trader_id: str) -> StoredCase | None:
        try:
            item = KycCaseItem.get(keys.kyc_case_pk(trader_id), keys.KYC_SK, consistent_read=True)
        except KycCaseItem.DoesNotExist:
            return None
        effects = KycEffectItem.query(
            keys.kyc_case_pk(trader_id),
            KycEffectItem.sk.startswith(keys.KYC_EFFECT_PREFIX),
            consistent_read=True,
        )
        return StoredCase(case_from_document(item.document), int(item.version), tuple(map(_effect, effects)))

    def save(
        self,
        case: VerificationCase,
        expected_version: int,
        effects: Sequence[Effect] = (),
        sessions: Sequence[SessionLink] = (),
        audit: AuditEntry | None = None,
    ) -> int:
        version = expected_version + 1
        condition = (
            KycCaseItem.version == expected_version if expected_version else KycCaseItem.pk.does_not_exist()
        )
        try:
            with _transaction() as transaction:
                transaction.save(_case_item(case, version), condition=condition)
                for effect in effects:
                    transaction.save(_effect_item(case.trader_id, effect))
                for link in sessions:
                    transaction.save(
                        KycSessionItem(
                            keys.kyc_session_pk(link.provider, link.session_id),
                            keys.KYC_SK,
                            entity="kyc_session",
                            trader_id=link.trader_id,
                        )
                    )
                if audit is not None:
                    self._audit.append_in(transaction, audit)
        except TransactWriteError as error:
            if error.cause_response_code == TRANSACTION_CANCELED:
                raise StaleCaseError(f"the KYC case of {case.trader_id!r} changed") from error
            raise
        return version

    def settle(self, trader_id: str, effect_ids: Sequence[str]) -> None:
        for effect_id in effect_ids:
            KycEffectItem(keys.kyc_case_pk(trader_id), keys.kyc_effect_sk(effect_id)).delete()

    def trader_of_session(self, provider: str, session_id: str) -> str | None:
        try:
            item = KycSessionItem.get(keys.kyc_session_pk(provider, session_id), keys.KYC_SK)
        except KycSessionItem.DoesNotExist:
            return None
        return str(item.trader_id)

    def awaiting_staff(self, limit: int = 50, cursor: str | None = None) -> Page[VerificationCase]:
        """Cases waiting for a staff decision, longest waiting first."""
        partition = keys.kyc_queue(REVIEW_QUEUE)
        results = KycCaseItem.queue.query(
            partition,
            limit=check_limit(limit),
            last_evaluated_key=decode_cursor(cursor, "gsi2pk", partition),
        )
        return to_page(results, lambda item: case_from_document(item.document))


class KycRepository:
    """The KYC status other features read (payout eligibility): an open case is `pending`."""

    def get(self, trader_id: str) -> KycCase | None:
        try:
            item = KycCaseItem.get(keys.kyc_case_pk(trader_id), keys.KYC_SK, consistent_read=True)
        except KycCaseItem.DoesNotExist:
            return None
        return KycCase(
            trader_id=item.trader_id,
            status=_LEGACY_STATUS.get(item.status, "pending"),
            opened_at=item.opened_at,
            decided_at=item.decided_at,
        )


# ---- the case as a document ----


def case_document(case: VerificationCase) -> dict[str, Any]:
    return {
        "trader_id": case.trader_id,
        "status": case.status,
        "opened_at": _time(case.opened_at),
        "deadline": _time(case.deadline),
        "max_attempts": case.max_attempts,
        "budget_from": case.budget_from,
        "attempts": [
            {
                "number": a.number,
                "reference": a.reference,
                "opened_at": _time(a.opened_at),
                "provider": a.provider,
                "session_id": a.session_id,
                "url": a.url,
                "outcome": a.outcome,
                "provider_code": a.provider_code,
                "reason_codes": list(a.reason_codes),
                "decided_at": _time(a.decided_at),
            }
            for a in case.attempts
        ],
        "needs": [{"kind": n.kind, "reference": n.reference, "waiter": n.waiter} for n in case.needs],
        "decided_at": _time(case.decided_at),
        "decided_by": case.decided_by,
        "decision_reason": case.decision_reason,
    }


def case_from_document(document: dict[str, Any]) -> VerificationCase:
    return VerificationCase(
        trader_id=document["trader_id"],
        status=document["status"],
        opened_at=_moment(document["opened_at"]),
        deadline=_moment(document["deadline"]),
        max_attempts=int(document["max_attempts"]),
        budget_from=int(document["budget_from"]),
        attempts=tuple(
            Attempt(
                number=int(a["number"]),
                reference=a["reference"],
                opened_at=_moment(a["opened_at"]),
                provider=a.get("provider"),
                session_id=a.get("session_id"),
                url=a.get("url"),
                outcome=a.get("outcome"),
                provider_code=a.get("provider_code"),
                reason_codes=tuple(a.get("reason_codes") or ()),
                decided_at=_optional_moment(a.get("decided_at")),
            )
            for a in document["attempts"]
        ),
        needs=tuple(Need(n["kind"], n["reference"], n.get("waiter")) for n in document.get("needs") or ()),
        decided_at=_optional_moment(document.get("decided_at")),
        decided_by=document.get("decided_by"),
        decision_reason=document.get("decision_reason"),
    )


def _case_item(case: VerificationCase, version: int) -> KycCaseItem:
    item = KycCaseItem(
        keys.kyc_case_pk(case.trader_id),
        keys.KYC_SK,
        entity="kyc_case",
        trader_id=case.trader_id,
        status=case.status,
        version=version,
        document=case_document(case),
        opened_at=case.opened_at,
        decided_at=case.decided_at,
    )
    if case.status == REVIEW_QUEUE:
        waiting_since = case.current.decided_at or case.current.opened_at
        item.gsi2pk = keys.kyc_queue(REVIEW_QUEUE)
        item.gsi2sk = keys.kyc_queue_sk(waiting_since, case.trader_id)
    return item


def _effect_item(trader_id: str, effect: Effect) -> KycEffectItem:
    if isinstance(effect, Announcement):
        kind, document = "announcement", {"detail_type": effect.detail_type, "detail": effect.detail}
    else:
        kind, document = "resumption", {"task_token": effect.task_token, "output": effect.output}
    return KycEffectItem(
        keys.kyc_case_pk(trader_id),
        keys.kyc_effect_sk(effect.effect_id),
        entity="kyc_effect",
        effect_id=effect.effect_id,
        kind=kind,
        document=document,
    )


def _effect(item: KycEffectItem) -> Effect:
    document = item.document
    if item.kind == "announcement":
        return Announcement(item.effect_id, document["detail_type"], document["detail"])
    return Resumption(item.effect_id, document["task_token"], document["output"])


def _time(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _optional_moment(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _transaction() -> TransactWrite:
    meta = MainTableModel.Meta  # bind_tables sets where the table lives
    region, host = getattr(meta, "region", None), getattr(meta, "host", None)
    return TransactWrite(connection=Connection(region=region, host=host))
