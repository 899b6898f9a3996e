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

    bind_tables(TableBinding(settings.table_name, None, settings.aws_region, settings.aws_endpoint_url))
    traders, trading_platform, email = None, None, None
    if platform is not None:
        from propdesk.adapters.email_stub import LoggingEmailSender
        from propdesk.data.accounts import TraderRepository
        from propdesk.wiring import purchases

        traders = TraderRepository()
        trading_platform = purchases.match_trader(platform, purchases.secrets())
        email = LoggingEmailSender()
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
        email=email,
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
