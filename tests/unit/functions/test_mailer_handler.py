"""The mailer's SQS batches (the real sample shape): each message mailed once; a message whose send failed is
reported in `batchItemFailures` alone, so only it comes back; logs name the template, never the address."""

from __future__ import annotations

import copy
import logging
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from propdesk.mail.delivery import OnceOnlyMail
from propdesk.mail.letter import Firm
from propdesk.ports import Contact
from propdesk.records import Account, ProgramSummary, ProgramVersion
from propdesk.services.mailer import Mailer

from events import load_event
from functions.mailer import handler as mailer
from tests.doubles.mail import InMemoryMailMarks, RecordingMailService, StaticContacts
from tests.doubles.ports import ManualClock
from tests.integration.invoke import LambdaContextStub

TRADER = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
ADDRESS = "jo@example.com"
T0 = datetime(2026, 3, 2, tzinfo=UTC)


class Catalogue:
    def get_version(self, program_id: str, version: int) -> ProgramVersion | None:
        return ProgramVersion(program_id, version, {"name": "2-Step: Phase 1", "next_program_id": None}, T0)

    def get_program(self, program_id: str) -> ProgramSummary | None:
        return ProgramSummary(program_id, "2-Step: Phase 1", 1, "USD", Decimal(100000), {}, "challenge")


class Accounts:
    def get(self, account_id: str, consistent: bool = False) -> Account | None:
        return Account(account_id, TRADER, "two-step-100k-phase-1", 1, "active", "USD", Decimal(100000),
                       "Europe/Prague", "00:00", T0)  # fmt: skip


def wired(service: RecordingMailService, marks: InMemoryMailMarks) -> mailer.Dependencies:
    contacts = StaticContacts({TRADER: Contact(ADDRESS, "Europe/London")})
    mail = OnceOnlyMail(service, marks, ManualClock(T0))
    return mailer.Dependencies(Mailer(contacts, Accounts(), Catalogue(), mail, Firm("Acme")))


def test_every_message_of_the_batch_is_mailed_and_logged_without_the_address(
    caplog: pytest.LogCaptureFixture,
) -> None:
    service = RecordingMailService()
    caplog.set_level(logging.INFO)
    deps = wired(service, InMemoryMailMarks())
    answer = mailer.process(load_event("sqs/mailer_batch"), LambdaContextStub(), deps)

    assert answer == {"batchItemFailures": []}
    assert service.templates() == ["breach", "purchase_receipt"]
    logged = [record.__dict__ for record in caplog.records]
    assert [entry.get("template") for entry in logged] == ["breach", "purchase_receipt"]
    assert ADDRESS not in repr(logged)


def test_only_the_message_whose_send_failed_comes_back_and_its_retry_sends_it_once() -> None:
    service, marks = RecordingMailService(fail_next=1), InMemoryMailMarks()
    batch = load_event("sqs/mailer_batch")
    deps = wired(service, marks)

    first = mailer.process(copy.deepcopy(batch), LambdaContextStub(), deps)
    failed_id = batch["Records"][0]["messageId"]
    assert first == {"batchItemFailures": [{"itemIdentifier": failed_id}]}
    assert service.templates() == ["purchase_receipt"]

    again = mailer.process(batch, LambdaContextStub(), deps)  # SQS redelivers the batch, or part of it
    assert again == {"batchItemFailures": []}
    assert service.templates() == ["purchase_receipt", "breach"]


def test_an_unreadable_message_is_reported_and_the_others_are_mailed() -> None:
    service = RecordingMailService()
    batch: dict[str, Any] = load_event("sqs/mailer_batch")
    batch["Records"][1]["body"] = "{not json"

    answer = mailer.process(batch, LambdaContextStub(), wired(service, InMemoryMailMarks()))

    assert answer == {"batchItemFailures": [{"itemIdentifier": batch["Records"][1]["messageId"]}]}
    assert service.templates() == ["breach"]


def test_an_empty_event_is_an_empty_answer() -> None:
    assert mailer.process({}, LambdaContextStub(), wired(RecordingMailService(), InMemoryMailMarks())) == {
        "batchItemFailures": []
    }
