"""SQS queue fed by the EventBridge rule `purchase.completed | purchase.refunded | purchase.disputed |
purchase.dispute_closed` (DLQ after 6 receives, alarmed). Each message is one EventBridge event:

- `purchase.completed`: open the trading account on Match-Trader once (lease, look-up by reference, then
  create), pin it to the program version bought, mail the platform login (the one-time password only in
  that e-mail, through SES, once per account), publish `account.provisioned`;
- `purchase.refunded`: disable the order's account; `purchase.disputed`: suspend it, flag the trader, alert
  the firm; `purchase.dispute_closed` (won): reinstate it.

Partial batch responses (`propdesk.batches`): a message whose work is still pending (platform down, another
worker's lease) is reported in `batchItemFailures` and comes back after the visibility timeout; the others
are deleted.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from propdesk.batches import queue_batch
from propdesk.config import ProvisioningSettings
from propdesk.domain_events import Envelope
from propdesk.observability import logger, metrics, observe

if TYPE_CHECKING:
    from propdesk.ports import Clock
    from propdesk.purchases.fulfilment import Fulfilment


@dataclass(frozen=True)
class Dependencies:
    fulfilment: Fulfilment
    clock: Clock


@functools.cache
def production_dependencies() -> Dependencies:
    settings = ProvisioningSettings.from_env(os.environ)
    from propdesk.adapters import ses
    from propdesk.adapters.clock import SystemClock
    from propdesk.adapters.eventbridge import EventBridgePublisher
    from propdesk.data.account_logins import AccountLoginRepository
    from propdesk.data.account_status import PurchaseAccountBook
    from propdesk.data.accounts import TraderRepository
    from propdesk.data.catalogue import CatalogueRepository
    from propdesk.data.mail import MailMarkRepository
    from propdesk.data.orders import OrderRepository
    from propdesk.data.sales import ReviewFlagRepository
    from propdesk.mail.delivery import OnceOnlyMail
    from propdesk.mail.letter import Firm
    from propdesk.purchases.fulfilment import Fulfilment, LoginMail
    from propdesk.wiring import purchases as production

    production.bind(settings.table_name, settings.aws_region, settings.aws_endpoint_url)
    clock = SystemClock()
    sender = ses.SesEmailSender(
        settings.mail_from, lambda: ses.default_client(settings.aws_region, settings.aws_endpoint_url)
    )
    login_mail = LoginMail(
        OnceOnlyMail(sender, MailMarkRepository(), clock),
        AccountLoginRepository(),
        Firm(settings.firm_name),
        settings.platform_login_url,
    )
    fulfilment = Fulfilment(
        OrderRepository(),
        PurchaseAccountBook(),
        CatalogueRepository(),
        TraderRepository(),
        production.match_trader(settings, production.secrets()),
        login_mail,
        EventBridgePublisher(settings.event_bus_name),
        ReviewFlagRepository(),
    )
    return Dependencies(fulfilment, clock)


def handle(envelope: Envelope, deps: Dependencies) -> str:
    detail = envelope.detail
    order_id = str(detail.get("order_id", ""))
    now = deps.clock.now()
    fulfilment = deps.fulfilment
    if envelope.detail_type == "purchase.completed":
        return fulfilment.provision(order_id, now)
    if envelope.detail_type == "purchase.refunded":
        return fulfilment.disable(order_id, now)
    if envelope.detail_type == "purchase.disputed":
        return fulfilment.suspend(order_id, str(detail.get("dispute_id")), str(detail.get("reason", "")), now)
    if envelope.detail_type == "purchase.dispute_closed":
        return fulfilment.reinstate(order_id, now)
    return f"ignored {envelope.detail_type}"


def process(event: dict[str, Any], context: LambdaContext, deps: Dependencies) -> dict[str, Any]:
    def consume(record: SQSRecord) -> None:
        envelope = Envelope.model_validate_json(record.body)
        outcome = handle(envelope, deps)
        logger.info(
            "purchase event handled",
            extra={
                "detail_type": envelope.detail_type,
                "order_id": envelope.detail.get("order_id"),
                "outcome": outcome,
            },
        )
        metrics.add_metric(name="PurchaseEventsHandled", unit="Count", value=1)

    return queue_batch(event, context, consume, failures_metric="ProvisioningRetries")


@observe
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process(event, context, production_dependencies())
