"""Progressions against DynamoDB Local: the store's once-only create and conditional saves, the workflow's
steps as their functions run them (real repositories, a fake platform), and the chain and review routes."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from propdesk.catalogue import demo_programs
from propdesk.data.accounts import AccountRepository, TraderRepository
from propdesk.data.audit import AuditLog
from propdesk.data.catalogue import CatalogueRepository
from propdesk.data.progression import ProgressionRepository
from propdesk.data.rate_limits import DynamoWindowCounter
from propdesk.life.progression import PlatformLogin, Progression, next_account_id, progression_key
from propdesk.life.workflow import Progressions
from propdesk.records import Account, TraderProfile
from propdesk.services.rate_limits import RateLimiter

from functions.progression_api import handler as progression_api
from functions.progression_finish import handler as progression_finish
from functions.progression_open import handler as progression_open
from functions.progression_review import handler as progression_review
from functions.progression_start import handler as progression_start
from tests.doubles.life import RecordingCallback
from tests.doubles.ports import InMemoryEventPublisher, ManualClock
from tests.doubles.purchases import FakePlatform
from tests.integration.dynamodb_local import TableNames
from tests.integration.invoke import LambdaContextStub, json_of, rest_request

pytestmark = pytest.mark.integration

CONTEXT = LambdaContextStub()
TRADER = "trader-life-1"
PASSED_AT = datetime(2026, 11, 20, 15, 30, 0, 123456, tzinfo=UTC)
NOW = PASSED_AT + timedelta(seconds=3)


def progression(
    account_id: str = "acc-1", passed_at: datetime = PASSED_AT, owner: str = "run-1"
) -> Progression:
    key = progression_key(account_id, passed_at)
    return Progression(
        key=key,
        account_id=account_id,
        trader_id=TRADER,
        passed_at=passed_at,
        owner=owner,
        next_account_id=next_account_id(key),
        next_program_id="two-step-100k-phase-2",
        next_program_version=1,
        stage="challenge",
        phase=2,
        review="none",
        status="planned",
        updated_at=NOW,
    )


# ---- the store


def test_a_progression_is_created_once_and_the_second_create_returns_the_first(
    fresh_tables: TableNames,
) -> None:
    store = ProgressionRepository()

    first = store.create(progression(owner="run-1"))
    second = store.create(progression(owner="run-2"))

    assert first.owner == second.owner == "run-1"
    assert store.get("acc-1", PASSED_AT) == first


def test_a_save_on_a_stale_read_writes_nothing(fresh_tables: TableNames) -> None:
    store = ProgressionRepository()
    planned = store.create(progression())
    login = PlatformLogin("match-trader", "pa-1", "700001", "Demo")
    opened = planned.opened(login, NOW + timedelta(seconds=1))

    assert store.save(opened, planned)
    assert not store.save(planned.done(NOW + timedelta(seconds=2)), planned)  # read before the open
    assert store.get("acc-1", PASSED_AT) == opened


def test_the_latest_progression_of_an_account_is_the_newest_pass(fresh_tables: TableNames) -> None:
    store = ProgressionRepository()
    store.create(progression())
    later = store.create(progression(passed_at=PASSED_AT + timedelta(days=3)))

    assert store.latest_for("acc-1") == later
    assert store.latest_for("acc-2") is None


def test_a_chain_link_is_written_once(fresh_tables: TableNames) -> None:
    store = ProgressionRepository()
    store.link("acc-2", "acc-1")
    store.link("acc-2", "acc-other")

    assert store.previous_of("acc-2") == "acc-1"
    assert store.previous_of("acc-1") is None


# ---- the workflow's functions


class Desk:
    """The demo catalogue, a trader, and their passed phase-1 account, in DynamoDB Local."""

    def __init__(self) -> None:
        catalogue = CatalogueRepository()
        for program in demo_programs():
            catalogue.publish(program.summary, program.document, PASSED_AT - timedelta(days=30))
        TraderRepository().put(TraderProfile(TRADER, "ada@example.com", "Ada Lovelace", PASSED_AT))
        AccountRepository().open(
            Account(
                account_id="acc-1",
                trader_id=TRADER,
                program_id="two-step-100k-phase-1",
                program_version=1,
                status="passed",
                currency="USD",
                initial_balance=Decimal(100000),
                timezone="Europe/Prague",
                day_starts_at="00:00",
                opened_at=PASSED_AT - timedelta(days=10),
            )
        )
        self.platform = FakePlatform()
        self.publisher = InMemoryEventPublisher()
        self.callback = RecordingCallback()
        self.clock = ManualClock(NOW)

    def service(self) -> Progressions:
        return Progressions(
            ProgressionRepository(),
            CatalogueRepository(),
            AccountRepository(),
            self.publisher,
            traders=TraderRepository(),
            platform=self.platform,
            callback=self.callback,
            audit=AuditLog(),
            new_id=lambda: "audit-entry-1",
        )

    def deps(self) -> tuple[Progressions, ManualClock]:
        return self.service(), self.clock

    def run(self, execution: str) -> dict[str, Any]:
        step = {"account_id": "acc-1", "passed_at": PASSED_AT.isoformat()}
        started = progression_start.process(
            {**step, "trader_id": TRADER, "execution": execution}, CONTEXT, self.deps()
        )
        if started["outcome"] == "proceed":
            progression_open.process(step, CONTEXT, self.deps())
            progression_open.process(step, CONTEXT, self.deps())  # a retried task
            progression_finish.process(step, CONTEXT, self.deps())
        return started


def test_the_steps_open_the_phase_2_account_once_even_when_account_passed_comes_twice(
    fresh_tables: TableNames,
) -> None:
    desk = Desk()

    first, second = desk.run("arn:run-1"), desk.run("arn:run-2")

    assert (first["outcome"], second["outcome"]) == ("proceed", "duplicate")
    phase_2 = AccountRepository().get(first["next_account_id"])
    assert phase_2 is not None
    assert (phase_2.program_id, phase_2.status, phase_2.initial_balance) == (
        "two-step-100k-phase-2",
        "active",
        Decimal(100000),
    )
    assert len(desk.platform.accounts) == 1
    assert [e.detail_type for e in desk.publisher.published] == [
        "platform.disable_requested",
        "account.phase_started",
    ]


def test_a_review_parks_the_token_and_the_staff_route_resumes_it_with_an_audit_entry(
    fresh_tables: TableNames,
) -> None:
    desk = Desk()
    store = ProgressionRepository()
    store.create(
        replace(progression(), review="required", next_program_id="two-step-100k-funded", stage="funded")
    )
    progression_review.process(
        {"account_id": "acc-1", "passed_at": PASSED_AT.isoformat(), "task_token": "token-1"},
        CONTEXT,
        desk.deps(),
    )

    answer = progression_api.process(
        rest_request(
            "get_account",
            method="POST",
            path="/v1/staff/accounts/acc-1/progression-review",
            path_parameters={"account_id": "acc-1"},
            body=json.dumps({"decision": "approved", "reason": "consistent trading, no copy signals"}),
            claims={"sub": "risk-officer-1", "cognito:groups": "risk"},
        ),
        CONTEXT,
        progression_api.Dependencies(
            desk.service(), AccountRepository(), RateLimiter(DynamoWindowCounter()), desk.clock
        ),
    )

    assert answer["statusCode"] == 200, answer["body"]
    assert desk.callback.succeeded == [("token-1", {"decision": "approved"})]
    (entry,) = AuditLog().for_subject("ACCOUNT#acc-1").items
    assert (entry.action, entry.actor) == ("progression.reviewed", "risk-officer-1")


def test_a_resume_that_failed_answers_503_and_the_same_review_sent_again_resumes_once(
    fresh_tables: TableNames,
) -> None:
    desk = Desk()
    ProgressionRepository().create(
        replace(progression(), review="required", next_program_id="two-step-100k-funded", stage="funded")
    )
    progression_review.process(
        {"account_id": "acc-1", "passed_at": PASSED_AT.isoformat(), "task_token": "token-1"},
        CONTEXT,
        desk.deps(),
    )
    deps = progression_api.Dependencies(
        desk.service(), AccountRepository(), RateLimiter(DynamoWindowCounter()), desk.clock
    )

    def review() -> dict[str, Any]:
        return progression_api.process(
            rest_request(
                "get_account",
                method="POST",
                path="/v1/staff/accounts/acc-1/progression-review",
                path_parameters={"account_id": "acc-1"},
                body=json.dumps({"decision": "approved", "reason": "consistent trading"}),
                claims={"sub": "risk-officer-1", "cognito:groups": "risk"},
            ),
            CONTEXT,
            deps,
        )

    desk.callback.fail_next = 1
    failed = review()
    assert failed["statusCode"] == 503, failed["body"]
    assert json.loads(failed["body"])["error"]["code"] == "workflow_resume_pending"
    assert failed["multiValueHeaders"]["Retry-After"]
    stored = ProgressionRepository().latest_for("acc-1")
    assert stored is not None and (stored.review, stored.task_token) == ("approved", "token-1")

    again = review()

    assert again["statusCode"] == 200, again["body"]
    assert desk.callback.succeeded == [("token-1", {"decision": "approved"})]
    assert len(AuditLog().for_subject("ACCOUNT#acc-1").items) == 1
    resumed = ProgressionRepository().latest_for("acc-1")
    assert resumed is not None and resumed.task_token is None


def test_the_chain_route_shows_the_phase_the_programs_ahead_and_the_account_before(
    fresh_tables: TableNames,
) -> None:
    desk = Desk()
    started = desk.run("arn:run-1")
    deps = progression_api.Dependencies(
        desk.service(), AccountRepository(), RateLimiter(DynamoWindowCounter()), desk.clock
    )
    account_id = started["next_account_id"]

    answer = progression_api.process(
        rest_request(
            "get_account",
            path=f"/v1/accounts/{account_id}/chain",
            path_parameters={"account_id": account_id},
            claims={"sub": TRADER, "cognito:groups": "trader"},
        ),
        CONTEXT,
        deps,
    )
    stranger = progression_api.process(
        rest_request(
            "get_account",
            path=f"/v1/accounts/{account_id}/chain",
            path_parameters={"account_id": account_id},
            claims={"sub": "someone-else", "cognito:groups": "trader"},
        ),
        CONTEXT,
        deps,
    )

    assert answer["statusCode"] == 200, answer["body"]
    body = json_of(answer)
    assert (body["stage"], body["phase"]) == ("challenge", 2)
    assert [a["account_id"] for a in body["history"]] == ["acc-1"]
    assert [s["program_id"] for s in body["upcoming"]] == ["two-step-100k-funded"]
    assert body["progression"] is None
    assert stranger["statusCode"] == 404
