"""REST route for staff (Cognito; `read_alerts`: risk, finance, admin): `GET /v1/staff/alerts?limit=&cursor=`,
the firm's alerts (disputes, provisioning stuck, reconciliation mismatches), newest first, paged. Read only:
the alerts are stored by the `firm_alerts` function. Route and models: propdesk.http.contract."""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from propdesk.config import AlertsApiSettings
from propdesk.http.app import build_rest_app, resolve
from propdesk.http.routing import Call, route
from propdesk.http.schemas import staff_alerts as schema
from propdesk.http.schemas.common import PageQuery
from propdesk.observability import observe
from propdesk.records import StaffAlert

if TYPE_CHECKING:
    from propdesk.ports import Clock
    from propdesk.services.firm_alerts import FirmAlerts

app = build_rest_app()


@dataclass(frozen=True)
class Dependencies:
    alerts: FirmAlerts
    clock: Clock


@functools.cache
def production_dependencies() -> Dependencies:
    settings = AlertsApiSettings.from_env(os.environ)
    from propdesk.adapters.clock import SystemClock
    from propdesk.data.alerts import AlertRepository
    from propdesk.data.binding import TableBinding, bind_tables
    from propdesk.services.firm_alerts import FirmAlerts

    bind_tables(TableBinding(settings.table_name, None, settings.aws_region, settings.aws_endpoint_url))
    return Dependencies(FirmAlerts(AlertRepository()), SystemClock())


def _deps() -> Dependencies:
    deps: Dependencies = app.context["deps"]
    return deps


@route(app, "listFirmAlerts")
def list_firm_alerts(call: Call) -> schema.AlertPage:
    query = call.query_as(PageQuery)
    page = _deps().alerts.newest(query.limit, query.cursor)
    return schema.AlertPage(alerts=[_view(alert) for alert in page.items], next_cursor=page.next_cursor)


def _view(alert: StaffAlert) -> schema.AlertOut:
    return schema.AlertOut(
        alert_id=alert.event_id,
        occurred_at=alert.occurred_at,
        severity=alert.severity,
        subject=alert.subject,
        message=alert.message,
        order_id=alert.order_id,
        trader_id=alert.trader_id,
    )


def process(event: dict[str, Any], context: LambdaContext, deps: Dependencies) -> dict[str, Any]:
    app.context["deps"] = deps
    app.context["now"] = deps.clock.now()
    return resolve(app, event, context)


@observe
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process(event, context, production_dependencies())
