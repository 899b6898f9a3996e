"""End-to-end: the real CDK stack deployed with `cdk deploy` into a throwaway local cloud on a free port,
seeded with the demo firm, and driven from outside as a client would. The providers' fakes run as `make dev`
runs them (Stripe, Coinbase Commerce and Match-Trader, the stack pointed at them through CDK context, their
credentials in the stack's secrets, Stripe's webhooks sent to the stack), so what `make dev` prints works
against this stack too."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from fakes.sumsub import FakeSumsub
from fakes.veriff import FakeVeriff
from scripts.local_cloud.cloud import LocalCloud, free_port
from scripts.local_cloud.endpoints import LocalEndpoints
from scripts.local_cloud.fake_providers import FakeProviders
from scripts.local_cloud.seed import seed_demo_firm
from tests.e2e.harness import DeployedStack
from tests.e2e.purchase_cloud_world import PurchaseCloud, purchase_cloud

LOCAL_DEV_FILE = Path(__file__).resolve().parents[2] / ".local" / "dev.json"
KYC_REDELIVERY = (
    2.0,
    5.0,
    15.0,
    30.0,
    60.0,
    120.0,
)  # the fakes resend a failed webhook soon (the providers wait longer)


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DeployedStack]:
    """A fresh deployment with the KYC providers faked (their API and signed webhooks); with
    E2E_REUSE_DEV=1, the system `make dev` is running, with its fakes (a quicker loop)."""
    if os.environ.get("E2E_REUSE_DEV") == "1":
        local = json.loads(LOCAL_DEV_FILE.read_text())
        endpoints = LocalEndpoints.from_outputs(local["endpoint"], local["outputs"])
        port = int(local["endpoint"].rsplit(":", 1)[1])
        running = FakeProviders(first_port=port + 10)  # make dev's, on its fixed ports (not started here)
        yield DeployedStack(endpoints=endpoints, demo=seed_demo_firm(endpoints), providers=running)
        return
    workdir: Path = tmp_path_factory.mktemp("local-cloud")
    providers = FakeProviders(
        veriff=FakeVeriff(retry_delays=KYC_REDELIVERY), sumsub=FakeSumsub(retry_delays=KYC_REDELIVERY)
    )
    providers.start()
    cloud = LocalCloud(port=free_port(), state_dir=workdir / "state", persist=False)
    cloud.start()
    try:
        outputs = cloud.deploy(
            workdir / "outputs.json",
            assembly_dir=workdir / "cdk.out",
            # its own staged assets: a deploy from another checkout (make dev) cannot swap them mid-deploy
            extra_context={"asset_dir": str(workdir / "assets"), **providers.cdk_context()},
        )
        endpoints = LocalEndpoints.from_outputs(cloud.endpoint, outputs)
        demo = seed_demo_firm(endpoints)
        stack = DeployedStack(endpoints=endpoints, demo=demo, providers=providers)
        providers.point_webhooks(endpoints)
        providers.write_secrets(stack.client("secretsmanager"))
        yield stack
    finally:
        cloud.stop()
        providers.stop()


@pytest.fixture(scope="session")
def trader_token(stack: DeployedStack) -> str:
    return stack.id_token(stack.demo["trader_email"], stack.demo["password"])


@pytest.fixture(scope="session")
def purchase_desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PurchaseCloud]:
    """The stack with the purchase path's providers faked in this process (`purchase_cloud`), deployed once
    for the journeys that buy and progress accounts (a deploy is minutes): each keeps to its own orders and
    accounts, and neither repoints the stack's secrets."""
    with purchase_cloud(tmp_path_factory.mktemp("purchase-cloud")) as cloud:
        yield cloud
