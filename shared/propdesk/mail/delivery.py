"""Send each message at most once per key (an event id and a template), and never lose one that failed.

A sender claims the key with a lease (a conditional write), sends, then records the outcome. A redelivered
event finds the key sent and sends nothing; a send that failed gives the key back and raises, so the queue
delivers the event again and the retry sends it; a sender that died mid-send leaves a claim whose lease runs
out, after which a retry may claim it.

Once the mail service has accepted a message, recording it `sent` never raises: the write is tried
`record_attempts` times (a throttle is brief) and, if it still fails, the send is reported `sent` all the
same, since raising would make the queue deliver the event again and the retry would send a second copy
(issue 14, seed 11 of the fault-injection suite). The marker then stays `sending` until its lease runs
out. (Only a
sender that died after the mail service accepted the message but before recording it, or whose record kept
failing and whose event is delivered again after the lease for another reason, can cause a second copy: at
least once, nearly always exactly once.)
"""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from propdesk.ports import Clock, EmailContent, EmailSender, MailMarks, MailRejectedError

Sent = Literal["sent", "duplicate", "rejected"]
DEFAULT_LEASE = timedelta(minutes=5)  # longer than any function's timeout
RECORD_ATTEMPTS = 4  # each is a store call with the SDK's own retries


def mail_key(event_id: str, template: str) -> str:
    return f"{event_id}#{template}"


class OnceOnlyMail:
    def __init__(
        self,
        sender: EmailSender,
        marks: MailMarks,
        clock: Clock,
        lease: timedelta = DEFAULT_LEASE,
        record_attempts: int = RECORD_ATTEMPTS,
    ) -> None:
        self._sender = sender
        self._marks = marks
        self._clock = clock
        self._lease = lease
        self._record_attempts = max(1, record_attempts)

    def send(self, key: str, to: str, content: EmailContent) -> Sent:
        """`sent`; `duplicate` (sent before, or being sent by another worker now: its own retry covers a
        failure); `rejected` (refused for good, never tried again). Raises MailUnavailableError (and any
        other failure) after giving the key back, for the caller's retry."""
        if not self._marks.claim(key, self._clock.now(), self._lease):
            return "duplicate"
        try:
            self._sender.send(to, content)
        except MailRejectedError:
            self._record(key, "rejected")
            return "rejected"
        except BaseException:
            self._marks.release(key)
            raise
        self._record(key, "sent")
        return "sent"

    def _record(self, key: str, outcome: Sent) -> None:
        """Record how a send the mail service answered ended; never raises (see the module's docstring)."""
        for _ in range(self._record_attempts):
            try:
                self._marks.finish(key, outcome, self._clock.now())
            except Exception:  # noqa: S112 - a store outage must not send the message again
                continue
            return
