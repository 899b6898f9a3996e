"""What `make dev` prints (scripts/dev.py's banner), checked without a stack: the commands that call AWS
from a fresh terminal name everything boto3 needs, as boto3 reads it."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import boto3
import pytest

from scripts.dev import banner
from scripts.local_cloud.endpoints import LocalEndpoints
from scripts.local_cloud.fake_providers import FakeProviders
from scripts.local_cloud.living import LivingMarket
from tests.e2e.test_printed_commands import printed_commands

OUTPUTS = {
    "RestApiId": "api1",
    "RestApiStage": "dev",
    "WebSocketApiId": "ws1",
    "WebSocketStage": "dev",
    "KycStateMachineArn": "arn:aws:states:us-east-1:000000000000:stateMachine:propdesk-dev-kyc",
}
DEMO = {
    "trader_email": "trader@demo.propdesk.local",
    "staff_email": "staff@demo.propdesk.local",
    "password": "Demo-password-1",
    "account_id": "demo-two-step-100k-phase-1",
    "trader_id": "trader-1",
}


def printed_kyc_start() -> str:
    text = banner(
        LocalEndpoints.from_outputs("http://127.0.0.1:4566", OUTPUTS), DEMO, FakeProviders(first_port=4576)
    )
    lines = text.split("\nVerify the trader", 1)[1].splitlines()
    start = next(n for n, line in enumerate(lines) if line.startswith("  AWS_ENDPOINT_URL="))
    command = []
    for line in lines[start:]:
        command.append(line)
        if not line.rstrip().endswith("\\"):
            return "\n".join(command)
    raise AssertionError("the command does not end")


def test_the_printed_kyc_start_gives_boto3_its_region_in_a_fresh_terminal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    command = printed_kyc_start()
    before_python = command.split(".venv/bin/python", 1)[0]
    for name in [name for name in os.environ if name.startswith("AWS_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    for name, value in re.findall(r"\b(AWS_[A-Z_]+)=(\S+)", before_python):
        monkeypatch.setenv(name, value)

    assert boto3.session.Session().region_name == "us-east-1"
    assert "stepfunctions" in command and OUTPUTS["KycStateMachineArn"] in command


def test_the_banner_lists_the_living_market_and_prints_no_command_more(tmp_path: Path) -> None:
    living = LivingMarket(first_port=4578, seed=11, interval=5, folder=tmp_path)
    accounts = [
        {"account_id": f"sim-0101-{name}", "trader": name.split("-")[0], "platform": platform}
        for name, platform in (
            ("steady", "match-trader"),
            ("hedger-a", "match-trader"),
            ("hedger-b", "dxtrade"),
        )
    ]
    manifest = {"run": "0101", "seed": 11, "interval": 5, "accounts": accounts}
    living.manifest_file.write_text(json.dumps(manifest))
    endpoints = LocalEndpoints.from_outputs("http://127.0.0.1:4566", OUTPUTS)
    providers = FakeProviders(first_port=4576, platform_elsewhere=True)

    plain, living_text = banner(endpoints, DEMO, providers), banner(endpoints, DEMO, providers, living)

    header = living_text.split("\nTry:\n", 1)[0]
    assert "seed 11 (MARKET_SEED)" in header and "hedger-b (dxtrade)" in header
    assert "Connector" in header and "Polling" in header and "make local-down" in header
    assert [c.text for c in printed_commands(living_text)] == [c.text for c in printed_commands(plain)]
