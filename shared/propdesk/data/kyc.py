"""KYC cases: the workflow's task token, waiting for the provider's decision."""

from __future__ import annotations

from datetime import datetime

from pynamodb.exceptions import UpdateError

from propdesk.data import keys
from propdesk.data._conditions import condition_failed
from propdesk.data.models import KycCaseItem
from propdesk.records import KycCase, KycStatus

_STATUSES: dict[str, KycStatus] = {
    "pending": "pending",
    "approved": "approved",
    "declined": "declined",
    "resubmission": "resubmission",
}


class KycRepository:
    def open(self, case: KycCase) -> None:
        """Store a new pending case; a new workflow run replaces the previous token."""
        KycCaseItem(
            keys.trader_pk(case.trader_id),
            keys.KYC_SK,
            entity="kyc_case",
            trader_id=case.trader_id,
            account_id=case.account_id,
            status=case.status,
            task_token=case.task_token,
            requested_at=case.requested_at,
            decided_at=case.decided_at,
            verification_id=case.verification_id,
        ).save()

    def get(self, trader_id: str) -> KycCase | None:
        try:
            item = KycCaseItem.get(keys.trader_pk(trader_id), keys.KYC_SK, consistent_read=True)
        except KycCaseItem.DoesNotExist:
            return None
        return KycCase(
            trader_id=item.trader_id,
            account_id=item.account_id,
            status=_STATUSES[item.status],
            task_token=item.task_token,
            requested_at=item.requested_at,
            decided_at=item.decided_at,
            verification_id=item.verification_id,
        )

    def decide(
        self, trader_id: str, task_token: str, status: KycStatus, verification_id: str | None, at: datetime
    ) -> bool:
        """Record the decision on the pending case holding `task_token`; False if not pending any more."""
        item = KycCaseItem(keys.trader_pk(trader_id), keys.KYC_SK)
        try:
            item.update(
                actions=[
                    KycCaseItem.status.set(status),
                    KycCaseItem.decided_at.set(at),
                    KycCaseItem.verification_id.set(verification_id)
                    if verification_id
                    else KycCaseItem.verification_id.remove(),
                ],
                condition=(KycCaseItem.status == "pending") & (KycCaseItem.task_token == task_token),
            )
        except UpdateError as error:
            if condition_failed(error):
                return False
            raise
        return True
