"""The SES adapter against botocore's Stubber (the real sesv2 client, no network): one SendEmail with the
subject, text and HTML we rendered, from the firm's address, tagged with the template; SES's answers mapped
to "try again later" or "refused for good", never carrying the address."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from botocore.stub import Stubber
from propdesk.adapters.ses import SesEmailSender, default_client
from propdesk.ports import EmailContent, MailRejectedError, MailUnavailableError

FROM = "Acme Funding <no-reply@acme.example>"
TO = "trader@example.com"
CONTENT = EmailContent("breach", 2, "Account acc-7: breached", "Text ü", "<p>HTML ü</p>")


@pytest.fixture(scope="module")
def client() -> Any:
    return default_client("us-east-1", None)  # one per module: building a client takes a second here


@pytest.fixture()
def stubbed(client: Any) -> Iterator[tuple[SesEmailSender, Stubber]]:
    with Stubber(client) as stubber:
        yield SesEmailSender(FROM, lambda: client), stubber  # type: ignore[arg-type, return-value]
        stubber.assert_no_pending_responses()


def expected_request(**extra: Any) -> dict[str, Any]:
    return {
        "FromEmailAddress": FROM,
        "Destination": {"ToAddresses": [TO]},
        "Content": {
            "Simple": {
                "Subject": {"Data": "Account acc-7: breached", "Charset": "UTF-8"},
                "Body": {
                    "Text": {"Data": "Text ü", "Charset": "UTF-8"},
                    "Html": {"Data": "<p>HTML ü</p>", "Charset": "UTF-8"},
                },
            }
        },
        "EmailTags": [{"Name": "template", "Value": "breach"}, {"Name": "version", "Value": "2"}],
        **extra,
    }


def test_one_message_goes_out_as_simple_content_from_the_firms_address(
    stubbed: tuple[SesEmailSender, Stubber],
) -> None:
    sender, stubber = stubbed
    stubber.add_response("send_email", {"MessageId": "0100-abc"}, expected_request())
    assert sender.send(TO, CONTENT) == "0100-abc"


def test_a_configuration_set_is_named_when_the_firm_has_one(client: Any) -> None:
    with Stubber(client) as stubber:
        stubber.add_response(
            "send_email", {"MessageId": "m"}, expected_request(ConfigurationSetName="propdesk-dev")
        )
        SesEmailSender(FROM, lambda: client, "propdesk-dev").send(TO, CONTENT)  # type: ignore[arg-type, return-value]


@pytest.mark.parametrize(
    "code",
    [
        "TooManyRequestsException",
        "LimitExceededException",
        "SendingPausedException",
        "AccountSuspendedException",
        "MessageRejected",  # e.g. the sender identity is not verified: fix, then redrive
        "MailFromDomainNotVerifiedException",
        "InternalFailure",
    ],
)
def test_what_a_retry_or_ops_can_fix_is_unavailable_not_refused(
    stubbed: tuple[SesEmailSender, Stubber], code: str
) -> None:
    sender, stubber = stubbed
    stubber.add_client_error("send_email", code, "no", expected_params=expected_request())
    with pytest.raises(MailUnavailableError) as raised:
        sender.send(TO, CONTENT)
    assert TO not in str(raised.value)


def test_a_message_ses_calls_malformed_is_refused_for_good(stubbed: tuple[SesEmailSender, Stubber]) -> None:
    sender, stubber = stubbed
    stubber.add_client_error(
        "send_email", "BadRequestException", f"Illegal address {TO}", expected_params=expected_request()
    )
    with pytest.raises(MailRejectedError) as raised:
        sender.send(TO, CONTENT)
    assert TO not in str(raised.value)


def test_the_client_is_created_on_the_first_send_and_then_reused(client: Any) -> None:
    made: list[Any] = []

    def factory() -> Any:
        made.append(client)
        return client

    sender = SesEmailSender(FROM, factory)
    assert made == []
    with Stubber(client) as stubber:
        for message_id in ("m1", "m2"):
            stubber.add_response("send_email", {"MessageId": message_id}, expected_request())
        assert [sender.send(TO, CONTENT), sender.send(TO, CONTENT)] == ["m1", "m2"]
    assert len(made) == 1
