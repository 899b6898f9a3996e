"""What `make dev` prints (scripts/dev.py's banner), checked without a stack: the commands that call AWS
from a fresh terminal name everything boto3 needs, as boto3 reads it."""

from __future__ import annotations

import os
import re

import boto3
import pytest

from scripts.dev import banner
from scripts.local_cloud.endpoints import LocalEndpoints
from scripts.local_cloud.fake_providers import FakeProviders

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
