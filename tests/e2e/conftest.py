"""End-to-end: the real CDK stack deployed with `cdk deploy` into a throwaway local cloud on a free port,
seeded with the demo firm, and driven from outside as a client would."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from scripts.local_cloud.cloud import LocalCloud, free_port
from scripts.local_cloud.endpoints import LocalEndpoints
from scripts.local_cloud.seed import seed_demo_firm
from tests.e2e.harness import DeployedStack

LOCAL_DEV_FILE = Path(__file__).resolve().parents[2] / ".local" / "dev.json"


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DeployedStack]:
    """A fresh deployment; with E2E_REUSE_DEV=1, the system `make dev` is running (a quicker loop)."""
    if os.environ.get("E2E_REUSE_DEV") == "1":
        local = json.loads(LOCAL_DEV_FILE.read_text())
        endpoints = LocalEndpoints.from_outputs(local["endpoint"], local["outputs"])
        yield DeployedStack(endpoints=endpoints, demo=seed_demo_firm(endpoints))
        return
    workdir: Path = tmp_path_factory.mktemp("local-cloud")
    cloud = LocalCloud(port=free_port(), state_dir=workdir / "state", persist=False)
    cloud.start()
    try:
        outputs = cloud.deploy(workdir / "outputs.json", assembly_dir=workdir / "cdk.out")
        endpoints = LocalEndpoints.from_outputs(cloud.endpoint, outputs)
        demo = seed_demo_firm(endpoints)
        yield DeployedStack(endpoints=endpoints, demo=demo)
    finally:
        cloud.stop()


@pytest.fixture(scope="session")
def trader_token(stack: DeployedStack) -> str:
    return stack.id_token(stack.demo["trader_email"], stack.demo["password"])
