"""A funded account ready for a payout, and in-process calls of payouts_api wired to DynamoDB Local."""

from __future__ import annotations

import copy
import dataclasses
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, cast

from aws_lambda_powertools.utilities.typing import LambdaContext
from propdesk.catalogue import demo_programs, summary_of
from propdesk.config import PayoutsApiSettings
from propdesk.data import keys
from propdesk.data.accounts import AccountRepository
from propdesk.data.catalogue import CatalogueRepository
from propdesk.data.events import TradingEventRepository
from propdesk.data.risk import RiskStateRepository
from propdesk.records import RiskSnapshot, StoredEvent

from functions.payouts_api import handler as payouts_api
from tests.doubles.ports import InMemoryEventPublisher, InMemoryStaffMfa, ManualClock
from tests.integration.api.api_world import CONTEXT, claims, request
from tests.integration.factories import account as account_record
from tests.integration.kyc_cases import seed_kyc_case

FUNDED_AT = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
NOW = FUNDED_AT + timedelta(days=30)


def funded_document(program_id: str, payouts: dict[str, Any] | None = None) -> dict[str, Any]:
    """The 1-step challenge's rules as a funded stage (the demo catalogue sells challenges only)."""
    challenge = next(p for p in demo_programs() if p.summary.program_id == "one-step-100k")
    document = copy.deepcopy(challenge.document)
    document.update(program_id=program_id, name="Funded 100K", kind="funded")
    document["rules"] = [rule for rule in document["rules"] if rule["type"] != "profit_target"]
    if payouts is not None:
        document["payouts"] = payouts
    return document


@dataclass
class FundedDesk:
    trader: str
    account_id: str
    publisher: InMemoryEventPublisher

    @classmethod
    def seed(
        cls,
        unique: str,
        balance: str = "103000",
        kyc: str | None = "approved",
        kind: str = "funded",
        payouts: dict[str, Any] | None = None,
        opened_at: datetime = FUNDED_AT,
    ) -> FundedDesk:
        program_id = f"funded-{unique}"
        document = funded_document(program_id, payouts)
        document["kind"] = kind
        version = CatalogueRepository().publish(summary_of(document), document, opened_at - timedelta(days=1))
        desk = cls(f"trader-{unique}", f"acc-funded-{unique}", InMemoryEventPublisher())
        AccountRepository().open(
            account_record(
                desk.account_id, trader_id=desk.trader, program_id=program_id, program_version=version,
                opened_at=opened_at,
            )
        )  # fmt: skip
        desk.set_balance(balance)
        if kyc is not None:
            seed_kyc_case(desk.trader, kyc, opened_at)
        return desk

    def set_balance(self, balance: str, positions: list[dict[str, Any]] | None = None) -> None:
        risk = RiskStateRepository()
        current = risk.get(self.account_id)
        state = {"balance": balance, "excluded_profit": "0", "positions": positions or []}
        risk.save(
            RiskSnapshot(self.account_id, current.version if current else 0, state, {}, None, 0, NOW),
            NOW,
        )

    def close_trades(
        self, *profits: str, first_close: datetime = FUNDED_AT + timedelta(days=1, hours=1)
    ) -> None:
        """Positions closed one a day (each a stored `position_closed` fill with its net profit)."""
        events = TradingEventRepository()
        for index, profit in enumerate(profits):
            at = first_close + timedelta(days=index)
            event_id = f"close-{index}"
            payload = {"time": at.isoformat(), "type": "position_closed", "position_id": f"p{index}",
                       "profit": profit, "event_id": event_id}  # fmt: skip
            stored = StoredEvent(
                self.account_id, event_id, at, "position_closed", payload, keys.event_sk(at, event_id)
            )
            events.record(stored, at)

    def eligibility(
        self, identity: dict[str, str] | None = None, now: datetime = NOW, query: dict[str, str] | None = None
    ) -> dict[str, Any]:
        event = request(
            "getPayoutEligibility", {"account_id": self.account_id}, identity or self.identity(), query
        )
        return self.call(event, now)

    def identity(self) -> dict[str, str]:
        return token(self.trader)

    def request_payout(
        self,
        body: dict[str, Any] | None = None,
        key: str | None = None,
        now: datetime = NOW,
        identity: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        event = request(
            "requestPayout", {"account_id": self.account_id}, identity or self.identity(), body=body or {}
        )
        if key is not None:
            event["headers"]["Idempotency-Key"] = key
            event["multiValueHeaders"]["Idempotency-Key"] = [key]
        return self.call(event, now)

    def call(self, event: dict[str, Any], now: datetime = NOW) -> dict[str, Any]:
        production = payouts_api.production_dependencies()
        service = payouts_api.payout_service(PayoutsApiSettings.from_env(os.environ), self.publisher)
        deps = dataclasses.replace(
            production, clock=ManualClock(now), payouts=service, staff_mfa=InMemoryStaffMfa()
        )
        answer: dict[str, Any] = payouts_api.process(event, cast(LambdaContext, CONTEXT), deps)
        return answer


def token(subject: str, role: str = "trader") -> dict[str, str]:
    """Claims valid for the whole of these tests' calendar."""
    return claims(subject, role, expires=NOW + timedelta(days=365))


def decision(payout_id: str, verdict: str, staff: str = "finance-1", role: str = "finance") -> dict[str, Any]:
    return request(
        "decidePayout",
        {"payout_id": payout_id},
        token(staff, role),
        body={"decision": verdict, "reason": f"{verdict}: trades and KYC checked"},
    )


def money(text: str) -> Decimal:
    return Decimal(text)
