"""The purchase path on the real data layer (DynamoDB Local): any order and duplication of deliveries, with
platform outages and a consumer running at arbitrary points, yields exactly one account per paid order."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from propdesk.catalogue import demo_programs
from propdesk.data.account_status import PurchaseAccountBook
from propdesk.data.accounts import TraderRepository
from propdesk.data.catalogue import CatalogueRepository
from propdesk.data.orders import OrderRepository
from propdesk.data.sales import ReviewFlagRepository, SalesCatalogueRepository, VelocityRepository
from propdesk.purchases.fulfilment import account_id_for

from tests.integration.dynamodb_local import TableNames
from tests.unit.purchases.purchase_world import World
from tests.unit.purchases.test_purchase_properties import EXPECTED, SCENARIOS, deliveries

pytestmark = pytest.mark.integration


@pytest.fixture()
def published(fresh_tables: TableNames) -> TableNames:
    catalogue = CatalogueRepository()
    for program in demo_programs():
        catalogue.publish(program.summary, program.document, datetime(2026, 1, 1, tzinfo=UTC))
    return fresh_tables


def dynamodb_world() -> World:
    catalogue = CatalogueRepository()
    return World(
        store=OrderRepository(),
        accounts=PurchaseAccountBook(),
        reviews=ReviewFlagRepository(),
        velocity=VelocityRepository(),
        catalogue=SalesCatalogueRepository(catalogue),
        versions=catalogue,
        traders=TraderRepository(),
    )


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(data=st.data(), scenarios=st.lists(st.sampled_from(SCENARIOS), min_size=1, max_size=3))
def test_each_paid_order_yields_exactly_one_account_on_dynamodb(
    published: TableNames, data: st.DataObject, scenarios: list[str]
) -> None:
    world = dynamodb_world()
    run = uuid.uuid4().hex[:8]
    orders = [
        (world.buy(f"trader-{run}-{n}", key=f"{run}-{n}").order.order_id, scenario)
        for n, scenario in enumerate(scenarios)
    ]
    events: list[dict[str, Any]] = [
        e for order_id, scenario in orders for e in deliveries(order_id, scenario)
    ]
    for event in events:
        event["id"] = f"{event['id']}-{run}"
    shuffled = data.draw(st.permutations(events)) if events else []
    repeats = data.draw(st.lists(st.sampled_from(events), max_size=6)) if events else []
    world.platform.fail_next = data.draw(st.integers(min_value=0, max_value=3))
    for index, event in enumerate(shuffled + repeats):
        world.deliver(event)
        if data.draw(st.booleans(), label=f"consumer runs after delivery {index}"):
            world.run_bus()
    world.platform.fail_next = 0
    world.run_bus()

    for order_id, scenario in orders:
        order = world.store.get(order_id)
        assert order is not None and order.status == EXPECTED[scenario], (
            scenario,
            world.store.history(order_id),
        )
        created = [a for a in world.platform.accounts.values() if a["reference"] == f"propdesk:{order_id}"]
        account = world.accounts.get(account_id_for(order_id), consistent=True)
        if order.status == "provisioned":
            assert len(created) == 1 and created[0]["enabled"] is True
            assert account is not None and account.status == "active"
            assert account.program_version == order.program_version == 1
        else:
            assert len(created) <= 1
            assert account is None or account.status != "active"
