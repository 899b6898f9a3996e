"""Sent-mail markers (`propdesk.ports.MailMarks`): one item per message key, `MAIL#{event id}#{template}` /
`MARK`, holding the state (`sending` with a lease, then `sent` or `rejected`), never the address or the text.
Markers expire by TTL after `KEEP` (long after any redelivery of the event could arrive)."""

from __future__ import annotations

from datetime import datetime, timedelta

from pynamodb.attributes import NumberAttribute, TTLAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import DeleteError, PutError

from propdesk.data._conditions import condition_failed
from propdesk.data.models import MainTableModel

MAIL_PREFIX = "MAIL#"
MARK_SK = "MARK"
SENDING = "sending"
KEEP = timedelta(days=90)


class MailMarkItem(MainTableModel):
    state = UnicodeAttribute()
    lease_until = NumberAttribute()  # epoch seconds: a `sending` claim older than this may be taken over
    updated_at = UTCDateTimeAttribute()
    expires_at = TTLAttribute()


def mail_pk(key: str) -> str:
    return MAIL_PREFIX + key


class MailMarkRepository:
    def claim(self, key: str, now: datetime, lease: timedelta) -> bool:
        item = MailMarkItem(
            mail_pk(key),
            MARK_SK,
            entity="mail_mark",
            state=SENDING,
            lease_until=int((now + lease).timestamp()),
            updated_at=now,
            expires_at=now + KEEP,
        )
        taken_over = (MailMarkItem.state == SENDING) & (MailMarkItem.lease_until < int(now.timestamp()))
        try:
            item.save(condition=MailMarkItem.pk.does_not_exist() | taken_over)
        except PutError as error:
            if condition_failed(error):
                return False
            raise
        return True

    def finish(self, key: str, outcome: str, now: datetime) -> None:
        MailMarkItem(mail_pk(key), MARK_SK).update(
            actions=[MailMarkItem.state.set(outcome), MailMarkItem.updated_at.set(now)]
        )

    def release(self, key: str) -> None:
        try:
            MailMarkItem(mail_pk(key), MARK_SK).delete(condition=MailMarkItem.state == SENDING)
        except DeleteError as error:
            if not condition_failed(error):
                raise

    def state(self, key: str) -> str | None:
        """The marker's state (None: never claimed); for tests and support."""
        try:
            return str(MailMarkItem.get(mail_pk(key), MARK_SK, consistent_read=True).state)
        except MailMarkItem.DoesNotExist:
            return None
