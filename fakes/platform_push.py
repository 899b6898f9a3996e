"""A trading-platform connection pushing events to `POST /v1/platform/events`, signed exactly as a real
connector must (docs/platforms.md, "Pushing events"): `X-Propdesk-Platform` names the platform and
`X-Propdesk-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "t.<raw body>")>` carries that platform's own
signing secret. The local system's simulators, the e2e tests and the benchmarks all push through here.

    .venv/bin/python -m fakes.platform_push --account demo-two-step-100k-phase-1 --equity 98000.00

pushes one equity reading to the system `make dev` runs (its endpoint and secrets from `.local/dev.json`).
Standard library only (boto3 for the command's secret look-up).
"""

from __future__ import annotations

import argparse
import json
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from propdesk.platforms.push_auth import PLATFORM_HEADER
from propdesk.platforms.signing import SIGNATURE_HEADER, sign

EVENTS_PATH = "/v1/platform/events"


def push_headers(platform: str, secret: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    """The headers that make `body` a push by `platform` (signed now, or at `timestamp`)."""
    moment = int(time.time()) if timestamp is None else timestamp
    return {
        "Content-Type": "application/json",
        PLATFORM_HEADER: platform,
        SIGNATURE_HEADER: sign(secret, body, moment),
    }


def events_body(account_id: str, events: Sequence[Mapping[str, Any]]) -> bytes:
    return json.dumps({"account_id": account_id, "events": list(events)}, separators=(",", ":")).encode()


def push(url: str, platform: str, secret: str, body: bytes) -> tuple[int, Any]:
    """POST the signed body to `url` (the route's full URL); the status and the parsed answer."""
    request = urllib.request.Request(  # noqa: S310 - a local system's URL
        url, data=body, method="POST", headers=push_headers(platform, secret, body)
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
            status, raw = answer.status, answer.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    try:
        return status, json.loads(raw) if raw else None
    except json.JSONDecodeError:
        return status, raw.decode(errors="replace")


def signing_secret(secretsmanager: Any, arns_json: str, platform: str) -> str:
    """The platform's current signing secret, from the stack's `PlatformSigningSecretArns` output."""
    arn = json.loads(arns_json)[platform]
    value = json.loads(secretsmanager.get_secret_value(SecretId=arn)["SecretString"])
    return str(value["signing_secret"])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="push one signed equity reading to the local system")
    parser.add_argument("--account", required=True)
    parser.add_argument("--equity", required=True)
    parser.add_argument("--platform", default="match-trader")
    parser.add_argument("--dev-file", default=str(Path(".local") / "dev.json"))
    args = parser.parse_args(argv)
    import boto3

    from scripts.local_cloud.cloud import REGION
    from scripts.local_cloud.endpoints import LocalEndpoints

    local = json.loads(Path(args.dev_file).read_text())
    endpoints = LocalEndpoints.from_outputs(local["endpoint"], local["outputs"])
    client = boto3.client(
        "secretsmanager",
        endpoint_url=endpoints.cloud,
        region_name=REGION,
        aws_access_key_id="test",
        aws_secret_access_key="test",  # noqa: S106 - the emulator's dummy keys
    )
    secret = signing_secret(client, endpoints.outputs["PlatformSigningSecretArns"], args.platform)
    now = datetime.now(UTC).replace(microsecond=0)
    reading = {
        "event_id": f"cli-{now:%Y%m%d%H%M%S}",
        "time": now.isoformat(),
        "type": "equity",
        "equity": args.equity,
    }
    status, answer = push(
        endpoints.rest_url(EVENTS_PATH), args.platform, secret, events_body(args.account, [reading])
    )
    print(status, json.dumps(answer))
    return 0 if status == 202 else 1


if __name__ == "__main__":
    raise SystemExit(main())
