"""End-to-end: the real CDK stack deployed with `cdk deploy` into a throwaway local cloud on a free port,
seeded with the demo firm, and driven from outside as a client would."""

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
from scripts.local_cloud.fake_providers import kyc_context, kyc_secrets, point_kyc_webhooks
from scripts.local_cloud.seed import seed_demo_firm
from tests.e2e.harness import DeployedStack

LOCAL_DEV_FILE = Path(__file__).resolve().parents[2] / ".local" / "dev.json"
KYC_REDELIVERY = (2.0, 5.0, 15.0, 30.0)  # the fakes resend a failed webhook soon (the providers wait longer)


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DeployedStack]:
    """A fresh deployment with the KYC providers faked (their API and signed webhooks); with
    E2E_REUSE_DEV=1, the system `make dev` is running, with its fakes (a quicker loop)."""
    if os.environ.get("E2E_REUSE_DEV") == "1":
        local = json.loads(LOCAL_DEV_FILE.read_text())
        endpoints = LocalEndpoints.from_outputs(local["endpoint"], local["outputs"])
        yield DeployedStack(endpoints=endpoints, demo=seed_demo_firm(endpoints))
        return
    workdir: Path = tmp_path_factory.mktemp("local-cloud")
    veriff, sumsub = FakeVeriff(retry_delays=KYC_REDELIVERY), FakeSumsub(retry_delays=KYC_REDELIVERY)
    veriff.start()
    sumsub.start()
    cloud = LocalCloud(port=free_port(), state_dir=workdir / "state", persist=False)
    cloud.start()
    try:
        outputs = cloud.deploy(
            workdir / "outputs.json",
            assembly_dir=workdir / "cdk.out",
            # its own staged assets: a deploy from another checkout (make dev) cannot swap them mid-deploy
            extra_context={"asset_dir": str(workdir / "assets"), **kyc_context(veriff.url, sumsub.url)},
        )
        endpoints = LocalEndpoints.from_outputs(cloud.endpoint, outputs)
        demo = seed_demo_firm(endpoints)
        deployed = DeployedStack(endpoints=endpoints, demo=demo)
        point_kyc_webhooks(veriff, sumsub, endpoints)
        secretsmanager = deployed.client("secretsmanager")
        for name, value in kyc_secrets(veriff, sumsub).items():
            secretsmanager.put_secret_value(SecretId=name, SecretString=value)
        yield deployed
    finally:
        cloud.stop()
        veriff.stop()
        sumsub.stop()


@pytest.fixture(scope="session")
def trader_token(stack: DeployedStack) -> str:
    cognito = stack.client("cognito-idp")
    answer = cognito.initiate_auth(
        AuthFlow="USER_PASSWORD_AUTH",
        ClientId=stack.outputs["UserPoolClientId"],
        AuthParameters={"USERNAME": stack.demo["trader_email"], "PASSWORD": stack.demo["password"]},
    )
    return str(answer["AuthenticationResult"]["IdToken"])
