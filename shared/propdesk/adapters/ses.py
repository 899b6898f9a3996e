"""`propdesk.ports.EmailSender` on Amazon SES (API v2, `SendEmail` with Simple content: the subject, text and
HTML we rendered ourselves, UTF-8), from the firm's verified identity.

The sender address comes from settings (`MAIL_FROM`); the function's role may send only from that identity.
Each message is tagged with its template and version. Only a request SES says is wrong in itself
(`BadRequestException`: e.g. a malformed address) is refused for good (`MailRejectedError`); anything else
(throttling, a paused account, an unverified identity, an outage) is `MailUnavailableError`, so the event is
retried and, failing that, parked in the dead-letter queue with an alarm rather than dropped. boto3 is
imported on first use, and the client created once per execution environment.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from propdesk.ports import EmailContent, MailRejectedError, MailUnavailableError

CHARSET = "UTF-8"
REFUSED_FOR_GOOD = frozenset({"BadRequestException"})


class SesV2Client(Protocol):
    def send_email(self, **kwargs: Any) -> dict[str, Any]: ...


def default_client(region: str, endpoint_url: str | None) -> SesV2Client:
    import boto3
    from botocore.config import Config

    config = Config(connect_timeout=2, read_timeout=10, retries={"max_attempts": 3, "mode": "standard"})
    client: SesV2Client = boto3.session.Session().client(
        "sesv2", region_name=region, endpoint_url=endpoint_url, config=config
    )
    return client


class SesEmailSender:
    def __init__(
        self,
        from_address: str,
        client: Callable[[], SesV2Client],
        configuration_set: str | None = None,
    ) -> None:
        self._from = from_address
        self._client_factory = client
        self._client: SesV2Client | None = None
        self._configuration_set = configuration_set

    def send(self, to: str, content: EmailContent) -> str:
        from botocore.exceptions import BotoCoreError, ClientError

        request: dict[str, Any] = {
            "FromEmailAddress": self._from,
            "Destination": {"ToAddresses": [to]},
            "Content": {
                "Simple": {
                    "Subject": {"Data": content.subject, "Charset": CHARSET},
                    "Body": {
                        "Text": {"Data": content.text, "Charset": CHARSET},
                        "Html": {"Data": content.html, "Charset": CHARSET},
                    },
                }
            },
            "EmailTags": [
                {"Name": "template", "Value": content.template},
                {"Name": "version", "Value": str(content.version)},
            ],
        }
        if self._configuration_set:
            request["ConfigurationSetName"] = self._configuration_set
        if self._client is None:
            self._client = self._client_factory()
        try:
            answer = self._client.send_email(**request)
        except ClientError as error:
            code = str(error.response.get("Error", {}).get("Code", ""))
            if code in REFUSED_FOR_GOOD:
                raise MailRejectedError(f"SES refused the {content.template} message ({code})") from None
            raise MailUnavailableError(f"SES did not take the {content.template} message ({code})") from None
        except BotoCoreError as error:  # no answer: connection refused, timeouts
            raise MailUnavailableError(f"SES unreachable: {type(error).__name__}") from None
        return str(answer["MessageId"])
