"""The mailer against DynamoDB Local: its markers' conditional writes (once per event and template; a failed
send given back; a claim whose sender died taken over after its lease), and the handler with the real data
layer and SES adapter (its client recording): a redelivered batch mails nothing more, a failed send comes
back alone and its retry sends it."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError
from propdesk.adapters.ses import SesEmailSender
from propdesk.catalogue import demo_programs
from propdesk.data.accounts import AccountRepository
from propdesk.data.catalogue import CatalogueRepository
from propdesk.data.mail import MailMarkRepository
from propdesk.mail.delivery import OnceOnlyMail
from propdesk.mail.letter import Firm
from propdesk.ports import Contact
from propdesk.services.mailer import Mailer

from events import load_event
from functions.mailer import handler as mailer
from tests.doubles.mail import RecordingSes, StaticContacts
from tests.doubles.ports import ManualClock
from tests.integration.dynamodb_local import TableNames
from tests.integration.factories import account
from tests.integration.invoke import LambdaContextStub

pytestmark = pytest.mark.integration

T0 = datetime(2026, 3, 2, 12, tzinfo=UTC)
LEASE = timedelta(minutes=5)
TRADER = "7c9e6679-7425-40de-944b-e07fc1f90ae7"  # the sample batch's trader


def test_a_key_is_claimed_once_and_never_again_after_it_was_sent(tables: TableNames, unique_id: str) -> None:
    marks = MailMarkRepository()
    key = f"evt-{unique_id}#breach"

    assert marks.claim(key, T0, LEASE)
    assert not marks.claim(key, T0, LEASE)  # another worker, the same moment
    marks.finish(key, "sent", T0)
    assert not marks.claim(key, T0 + timedelta(days=1), LEASE)
    assert marks.state(key) == "sent"


def test_a_failed_send_gives_the_key_back_for_the_retry(tables: TableNames, unique_id: str) -> None:
    marks = MailMarkRepository()
    key = f"evt-{unique_id}#breach"

    assert marks.claim(key, T0, LEASE)
    marks.release(key)
    assert marks.state(key) is None
    assert marks.claim(key, T0, LEASE)


def test_a_claim_whose_sender_died_is_taken_over_once_its_lease_ran_out(
    tables: TableNames, unique_id: str
) -> None:
    marks = MailMarkRepository()
    key = f"evt-{unique_id}#breach"

    assert marks.claim(key, T0, LEASE)
    assert not marks.claim(key, T0 + LEASE - timedelta(seconds=1), LEASE)
    assert marks.claim(key, T0 + LEASE + timedelta(seconds=1), LEASE)


def test_releasing_a_sent_key_changes_nothing(tables: TableNames, unique_id: str) -> None:
    marks = MailMarkRepository()
    key = f"evt-{unique_id}#breach"
    marks.claim(key, T0, LEASE)
    marks.finish(key, "sent", T0)
    marks.release(key)
    assert marks.state(key) == "sent"


def wired(ses: RecordingSes) -> mailer.Dependencies:
    contacts = StaticContacts({TRADER: Contact("jo@example.com", "Europe/London")})
    sender = SesEmailSender("Acme <no-reply@acme.example>", lambda: ses)
    mail = OnceOnlyMail(sender, MailMarkRepository(), ManualClock(T0))
    return mailer.Dependencies(
        Mailer(contacts, AccountRepository(), CatalogueRepository(), mail, Firm("Acme Funding"))
    )


def unique_batch(unique_id: str) -> dict[str, object]:
    """The sample batch with event ids and the account of this test."""
    batch = load_event("sqs/mailer_batch")
    for number, record in enumerate(batch["Records"]):
        body = json.loads(record["body"])
        body["detail"]["event_id"] = f"{unique_id}-{number}"
        if "account_id" in body["detail"]:
            body["detail"]["account_id"] = f"acc-{unique_id}"
        record["body"] = json.dumps(body)
    return batch


@pytest.fixture()
def desk(tables: TableNames, unique_id: str) -> str:
    program = next(p for p in demo_programs() if p.summary.program_id == "two-step-100k-phase-1")
    CatalogueRepository().publish(program.summary, program.document, T0 - timedelta(days=1))
    opened = account(f"acc-{unique_id}", trader_id=TRADER, program_id="two-step-100k-phase-1")
    AccountRepository().open(opened)
    return unique_id


def test_a_redelivered_batch_mails_nothing_more(desk: str) -> None:
    ses = RecordingSes()
    batch = unique_batch(desk)

    assert mailer.process(copy.deepcopy(batch), LambdaContextStub(), wired(ses)) == {"batchItemFailures": []}
    assert mailer.process(batch, LambdaContextStub(), wired(ses)) == {"batchItemFailures": []}

    assert ses.subjects() == [
        f"Account acc-{desk}: daily loss limit breached (failed)",
        "Receipt for your 2-Step 100K: Phase 1 challenge",
    ]
    assert "  Limit: 95,000.00 USD" in ses.texts()[0]
    assert "at 2 March 2026, 13:30 (Europe/London)" in ses.texts()[0]


class FlakySes(RecordingSes):
    """SES throttling the first send, then taking every message."""

    throttled = False

    def send_email(self, **request: Any) -> dict[str, Any]:
        if not self.throttled:
            self.throttled = True
            error = {"Error": {"Code": "TooManyRequestsException", "Message": "rate exceeded"}}
            raise ClientError(error, "SendEmail")  # type: ignore[arg-type]
        return super().send_email(**request)


def test_a_send_ses_throttled_comes_back_alone_and_its_retry_sends_it(desk: str) -> None:
    ses = FlakySes()
    batch = unique_batch(desk)
    first_id = batch["Records"][0]["messageId"]  # type: ignore[index]

    first = mailer.process(copy.deepcopy(batch), LambdaContextStub(), wired(ses))
    assert first == {"batchItemFailures": [{"itemIdentifier": first_id}]}
    again = mailer.process(batch, LambdaContextStub(), wired(ses))
    assert again == {"batchItemFailures": []}
    assert len(ses.requests) == 2
