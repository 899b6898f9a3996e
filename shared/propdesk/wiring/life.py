"""Production wiring of the progression use case (`propdesk.life.workflow.Progressions`): each workflow step
and the API get the repositories bound to the table and only the adapters their step uses (the platform
only where the next account is opened, the workflow callback only where a review resumes it)."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from propdesk.config import ProgressionOpenSettings, TableSettings
    from propdesk.life.workflow import Progressions
    from propdesk.ports import EventPublisher


def progressions(
    settings: TableSettings,
    *,
    event_bus_name: str | None = None,
    platform: ProgressionOpenSettings | None = None,
    callback: bool = False,
    audit: bool = False,
) -> Progressions:
    from propdesk.data.accounts import AccountRepository
    from propdesk.data.binding import TableBinding, bind_tables
    from propdesk.data.catalogue import CatalogueRepository
    from propdesk.data.progression import ProgressionRepository
    from propdesk.life.workflow import Progressions

    bind_tables(
        TableBinding(
            settings.table_name,
            None,
            settings.aws_region,
            settings.aws_endpoint_url,
            audit_table_name=getattr(settings, "audit_table_name", None),
        )
    )
    traders, trading_platform, login_mail = None, None, None
    if platform is not None:
        from propdesk.adapters import ses
        from propdesk.adapters.clock import SystemClock
        from propdesk.data.account_logins import AccountLoginRepository
        from propdesk.data.accounts import TraderRepository
        from propdesk.data.mail import MailMarkRepository
        from propdesk.mail.delivery import OnceOnlyMail
        from propdesk.mail.letter import Firm
        from propdesk.purchases.fulfilment import LoginMail
        from propdesk.wiring import purchases

        traders = TraderRepository()
        trading_platform = purchases.match_trader(platform, purchases.secrets())
        sender = ses.SesEmailSender(
            platform.mail_from, lambda: ses.default_client(platform.aws_region, platform.aws_endpoint_url)
        )
        login_mail = LoginMail(  # as provisioning mails the login: once per account, through SES
            OnceOnlyMail(sender, MailMarkRepository(), SystemClock()),
            AccountLoginRepository(),
            Firm(platform.firm_name),
            platform.platform_login_url,
        )
    workflow_callback = None
    if callback:
        from propdesk.adapters.stepfunctions import StepFunctionsCallback

        workflow_callback = StepFunctionsCallback()
    audit_log = None
    if audit:
        from propdesk.data.audit import AuditLog

        audit_log = AuditLog()
    return Progressions(
        ProgressionRepository(),
        CatalogueRepository(),
        AccountRepository(),
        _publisher(event_bus_name),
        traders=traders,
        platform=trading_platform,
        login_mail=login_mail,
        callback=workflow_callback,
        audit=audit_log,
        new_id=lambda: uuid.uuid4().hex,
    )


def _publisher(event_bus_name: str | None) -> EventPublisher:
    if event_bus_name is None:
        return _NoEvents()
    from propdesk.adapters.eventbridge import EventBridgePublisher

    return EventBridgePublisher(event_bus_name)


class _NoEvents:
    """For the API, which publishes nothing: a call would be a wiring fault."""

    def publish(self, events: object) -> None:
        raise RuntimeError("this function has no event bus")
