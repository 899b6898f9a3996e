"""In-memory stand-ins for the mail ports, for tests: a mail service that records what it was given (and can
be told to be down or to refuse), sent-mail markers with the store's semantics, a contact directory."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from propdesk.ports import Contact, EmailContent, MailRejectedError, MailUnavailableError


@dataclass
class RecordingMailService:
    """`EmailSender`: keeps every accepted message; `down` (or `fail_next` sends) raise MailUnavailableError,
    `refuse` raises MailRejectedError."""

    sent: list[tuple[str, EmailContent]] = field(default_factory=list)
    down: bool = False
    fail_next: int = 0
    refuse: bool = False
    attempts: int = 0
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def send(self, to: str, content: EmailContent) -> str:
        self.attempts += 1
        if self.down or self.fail_next:
            self.fail_next = max(0, self.fail_next - 1)
            raise MailUnavailableError("the mail service is down (test)")
        if self.refuse:
            raise MailRejectedError("the mail service refuses this message (test)")
        self.sent.append((to, content))
        return f"msg-{next(self._ids)}"

    def to(self, address: str) -> list[EmailContent]:
        return [content for to, content in self.sent if to == address]

    def templates(self) -> list[str]:
        return [content.template for _, content in self.sent]


@dataclass
class InMemoryMailMarks:
    """`MailMarks` as the DynamoDB store keeps them: a claim is refused while another holds it within its
    lease, and for good once the send finished."""

    states: dict[str, tuple[str, datetime]] = field(default_factory=dict)  # key -> (state, lease until)
    failing_finishes: int = 0  # the next `finish` calls raise, as a throttled store would

    def claim(self, key: str, now: datetime, lease: timedelta) -> bool:
        current = self.states.get(key)
        if current is not None and (current[0] != "sending" or current[1] >= now):
            return False
        self.states[key] = ("sending", now + lease)
        return True

    def finish(self, key: str, outcome: str, now: datetime) -> None:
        if self.failing_finishes:
            self.failing_finishes -= 1
            raise RuntimeError("ProvisionedThroughputExceededException (test)")
        self.states[key] = (outcome, now)

    def release(self, key: str) -> None:
        if key in self.states and self.states[key][0] == "sending":
            del self.states[key]


@dataclass
class StaticContacts:
    """`ContactDirectory` over a dict of trader id -> contact."""

    contacts: dict[str, Contact] = field(default_factory=dict)

    def contact(self, trader_id: str) -> Contact | None:
        return self.contacts.get(trader_id)


@dataclass
class RecordingSes:
    """Stands in for boto3's `sesv2` client: keeps every SendEmail request (as the real one would send it)."""

    requests: list[dict[str, Any]] = field(default_factory=list)

    def send_email(self, **request: Any) -> dict[str, Any]:
        self.requests.append(request)
        return {"MessageId": f"local-{len(self.requests)}"}

    def client(self, region: str, endpoint_url: str | None) -> RecordingSes:  # like ses.default_client
        return self

    def texts(self) -> list[str]:
        return [str(r["Content"]["Simple"]["Body"]["Text"]["Data"]) for r in self.requests]

    def subjects(self) -> list[str]:
        return [str(r["Content"]["Simple"]["Subject"]["Data"]) for r in self.requests]
