"""SQS queue fed by the EventBridge rule `purchase.completed | account.warning | account.breached |
account.passed | account.phase_started | account.funded | account.scaled | abuse.flag_decided | kyc.* |
payout.*` (DLQ after 5 receives,
alarmed). Each message is one EventBridge event: the trader's address is looked up in the user pool, the
template rendered (propdesk.mail) and the message sent through SES, at most once per event id and template
(`propdesk.services.mailer`).

Partial batch responses: a message whose send failed (SES or the user pool unavailable) is reported in
`batchItemFailures` and comes back after the visibility timeout; the others are deleted. Logs name the event
and the template, never the address.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from propdesk.batches import queue_batch
from propdesk.config import MailerSettings
from propdesk.domain_events import Envelope
from propdesk.observability import logger, metrics, observe

if TYPE_CHECKING:
    from propdesk.services.mailer import Mailer


@dataclass(frozen=True)
class Dependencies:
    mailer: Mailer


@functools.cache
def production_dependencies() -> Dependencies:
    settings = MailerSettings.from_env(os.environ)
    from propdesk.adapters import cognito_contacts, ses
    from propdesk.adapters.clock import SystemClock
    from propdesk.adapters.cognito_staff import default_client as cognito_client
    from propdesk.data.accounts import AccountRepository
    from propdesk.data.binding import TableBinding, bind_tables
    from propdesk.data.catalogue import CatalogueRepository
    from propdesk.data.mail import MailMarkRepository
    from propdesk.mail.delivery import OnceOnlyMail
    from propdesk.mail.letter import Firm
    from propdesk.services.mailer import Mailer

    region, endpoint = settings.aws_region, settings.aws_endpoint_url
    bind_tables(TableBinding(settings.table_name, None, region, endpoint))
    sender = ses.SesEmailSender(
        settings.mail_from, lambda: ses.default_client(region, endpoint), settings.mail_configuration_set
    )
    contacts = cognito_contacts.CognitoContactDirectory(
        settings.user_pool_id, lambda: cognito_client(region, endpoint)
    )
    mail = OnceOnlyMail(sender, MailMarkRepository(), SystemClock())
    firm = Firm(settings.firm_name, settings.dashboard_url)
    return Dependencies(Mailer(contacts, AccountRepository(), CatalogueRepository(), mail, firm))


def process(event: dict[str, Any], context: LambdaContext, deps: Dependencies) -> dict[str, Any]:
    def mail(record: SQSRecord) -> None:
        envelope = Envelope.model_validate_json(record.body)
        result = deps.mailer.handle(envelope.detail_type, envelope.detail)
        logger.info(
            "e-mail handled",
            extra={
                "detail_type": envelope.detail_type,
                "event_id": envelope.detail.get("event_id"),
                "template": result.template,
                "outcome": result.outcome,
            },
        )
        if result.outcome == "sent":
            metrics.add_metric(name="EmailsSent", unit="Count", value=1)

    return queue_batch(event, context, mail, failures_metric="EmailRetries")


@observe
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process(event, context, production_dependencies())
