"""Push one signed equity reading to the system `make dev` runs, as the account's platform would:

    .venv/bin/python -m scripts.push_event --account demo-two-step-100k-phase-1 --equity 98000.00

The endpoint and the stack's outputs come from `.local/dev.json`; the platform's signing secret from the local
cloud's Secrets Manager (`PlatformSigningSecretArns`). Prints the route's JSON answer; exits 1 unless 202.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from scripts.local_cloud.cloud import REGION
from scripts.local_cloud.endpoints import LocalEndpoints


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="push one signed equity reading to the local system")
    parser.add_argument("--account", required=True)
    parser.add_argument("--equity", required=True)
    parser.add_argument("--platform", default="match-trader")
    parser.add_argument("--dev-file", default=str(Path(".local") / "dev.json"))
    args = parser.parse_args(argv)
    import boto3

    from fakes.platform_push import EVENTS_PATH, events_body, push, signing_secret

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
    body = events_body(args.account, [reading])
    status, answer = push(endpoints.rest_url(EVENTS_PATH), args.platform, secret, body)
    print(json.dumps(answer))
    return 0 if status == 202 else 1


if __name__ == "__main__":
    raise SystemExit(main())
