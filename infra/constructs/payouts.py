"""Payouts: the trader's request and finance's decision (payouts_api), publishing `payout.*` to the bus where
the payout workflow (`infra.constructs.payout_workflow`) picks up `payout.requested`; finance's decision
resumes the workflow waiting for it (the workflow construct grants the task response).

    POST/GET /v1/accounts/{id}/payouts, GET /v1/staff/payouts, POST .../decision ─► payouts_api ─► table, bus
"""

from __future__ import annotations

from aws_cdk import aws_events as events
from constructs import Construct

from infra.constructs.api import Api
from infra.constructs.data import Data
from infra.constructs.functions import FunctionFactory, FunctionSpec
from infra.constructs.publishing import grant_publish


class Payouts(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        data: Data,
        bus: events.IEventBus,
        api: Api,
        functions: FunctionFactory,
    ) -> None:
        super().__init__(scope, construct_id)
        payouts_api = functions.create(
            self,
            FunctionSpec(
                "payouts_api",
                "/v1/accounts/{id}/payouts, /v1/staff/payouts: payout requests, history, finance's decisions",
                10,
                256,
                {
                    "TABLE_NAME": data.table.table_name,
                    "EVENT_BUS_NAME": bus.event_bus_name,
                    "PAYOUT_AUTO_APPROVE_BELOW": str(
                        self.node.try_get_context("payout_auto_approve_below") or 1000
                    ),
                    "PAYOUT_TWO_PERSON_ABOVE": str(
                        self.node.try_get_context("payout_two_person_above") or 10000
                    ),
                },
            ),
        )
        # payouts (PAYOUT#) and the account's open-payout lock (ACCOUNT#), a trader's payout destination and
        # identity signals (TRADER#), rate windows (RATE#)
        data.grant_writes_to(payouts_api, "PAYOUT#*", "ACCOUNT#*", "TRADER#*", "RATE#*")
        data.grant_audit(payouts_api, append=True)  # decisions audited
        grant_publish(bus, payouts_api, "payouts_api")
        api.add_routes({"payouts_api": payouts_api})
        self.function = payouts_api
