"""A message goes out at most once per event and template, and a send that failed is sent by the retry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from propdesk.mail.delivery import OnceOnlyMail
from propdesk.ports import EmailContent, MailUnavailableError

from tests.doubles.mail import InMemoryMailMarks, RecordingMailService
from tests.doubles.ports import ManualClock

T0 = datetime(2026, 3, 2, 12, tzinfo=UTC)
CONTENT = EmailContent("breach", 1, "subject", "text", "<p>html</p>")


def mailer() -> tuple[OnceOnlyMail, RecordingMailService, InMemoryMailMarks, ManualClock]:
    service, marks, clock = RecordingMailService(), InMemoryMailMarks(), ManualClock(T0)
    return OnceOnlyMail(service, marks, clock, lease=timedelta(minutes=5)), service, marks, clock


def test_a_message_is_sent_once_however_often_its_event_comes_again() -> None:
    mail, service, _, _ = mailer()
    outcomes = [mail.send("evt-1#breach", "t@example.com", CONTENT) for _ in range(3)]
    assert outcomes == ["sent", "duplicate", "duplicate"]
    assert len(service.sent) == 1


def test_a_send_that_failed_is_sent_by_the_retry() -> None:
    mail, service, _, _ = mailer()
    service.fail_next = 1
    with pytest.raises(MailUnavailableError):
        mail.send("evt-1#breach", "t@example.com", CONTENT)
    assert mail.send("evt-1#breach", "t@example.com", CONTENT) == "sent"
    assert len(service.sent) == 1


def test_a_refused_message_is_never_tried_again() -> None:
    mail, service, marks, _ = mailer()
    service.refuse = True
    assert mail.send("evt-1#breach", "bad@", CONTENT) == "rejected"
    service.refuse = False
    assert mail.send("evt-1#breach", "bad@", CONTENT) == "duplicate"
    assert marks.states["evt-1#breach"][0] == "rejected"


def test_while_another_sender_holds_the_key_a_duplicate_delivery_sends_nothing() -> None:
    mail, service, marks, clock = mailer()
    assert marks.claim("evt-1#breach", clock.now(), timedelta(minutes=5))  # another worker, mid-send
    assert mail.send("evt-1#breach", "t@example.com", CONTENT) == "duplicate"
    assert service.attempts == 0


def test_a_claim_left_by_a_sender_that_died_is_taken_over_once_its_lease_ran_out() -> None:
    mail, service, marks, clock = mailer()
    marks.claim("evt-1#breach", clock.now(), timedelta(minutes=5))  # claimed, then the worker died
    clock.advance(timedelta(minutes=6))
    assert mail.send("evt-1#breach", "t@example.com", CONTENT) == "sent"
    assert len(service.sent) == 1


def test_each_template_of_one_event_is_its_own_message() -> None:
    mail, service, _, _ = mailer()
    assert mail.send("evt-1#breach", "t@example.com", CONTENT) == "sent"
    assert mail.send("evt-1#kyc_requested", "t@example.com", CONTENT) == "sent"
    assert len(service.sent) == 2


def test_a_throttled_sent_mark_is_recorded_by_trying_again_and_the_message_is_not_sent_twice() -> None:
    mail, service, marks, clock = mailer()
    marks.failing_finishes = 2  # the store throttles the `sent` mark after the mail service accepted

    assert mail.send("evt-1#login", "t@example.com", CONTENT) == "sent"
    clock.advance(timedelta(minutes=10))  # the event comes again long after the lease
    assert mail.send("evt-1#login", "t@example.com", CONTENT) == "duplicate"
    assert len(service.sent) == 1 and marks.states["evt-1#login"][0] == "sent"


def test_a_sent_mark_that_cannot_be_recorded_at_all_never_makes_the_send_fail() -> None:
    mail, service, marks, _ = mailer()
    marks.failing_finishes = 100  # the store is down for the rest of this attempt

    assert mail.send("evt-1#login", "t@example.com", CONTENT) == "sent"  # no raise: no redelivery
    assert len(service.sent) == 1
    assert mail.send("evt-1#login", "t@example.com", CONTENT) == "duplicate"  # within the lease
