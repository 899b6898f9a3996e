"""The e-mail port's stand-in until a mail provider is chosen: it logs that a message went out (recipient
domain and subject only; bodies hold credentials) and keeps nothing."""

from __future__ import annotations

from propdesk.observability import logger


class LoggingEmailSender:
    def send(self, to: str, subject: str, body: str) -> None:
        logger.info("e-mail sent (stub)", extra={"to_domain": to.rpartition("@")[2], "subject": subject})
