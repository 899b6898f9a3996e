"""`make dev`: the whole propdesk system on this machine.

Starts the local cloud (ministack, state kept in .local/state), the living market (the trading-platform
fakes and the market simulator trading on them, a process of its own), deploys the real CDK stack into it
with `cdk deploy` (connected to those fakes), seeds a demo firm and the simulated traders' accounts, starts
the connector for each streamed platform (a process each), prints the URLs and example calls, and runs until
Ctrl-C, which stops them and the emulator cleanly so its state survives to the next `make dev`. Safe to run
again: the deploy is an update and the seed is idempotent. `--stop` (`make local-down`) stops the connectors,
the market and a local cloud left running in the background.

`MARKET_SEED` (default 7) seeds the simulator: the same seed trades the same way; `MARKET_INTERVAL` (default
5) is the seconds between its ticks.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts.local_cloud.cloud import LOCAL, REGION, LocalCloud  # noqa: E402
from scripts.local_cloud.endpoints import LocalEndpoints  # noqa: E402
from scripts.local_cloud.fake_providers import FakeProviders  # noqa: E402
from scripts.local_cloud.living import LivingMarket  # noqa: E402
from scripts.local_cloud.seed import seed_demo_firm  # noqa: E402

PORT = int(os.environ.get("LOCAL_CLOUD_PORT", "4566"))
KYC_PROVIDER = os.environ.get("KYC_PROVIDER", "")  # veriff (the stack's default) or sumsub
MARKET_SEED = int(os.environ.get("MARKET_SEED", "7"))
MARKET_INTERVAL = float(os.environ.get("MARKET_INTERVAL", "5"))


def living_lines(living: LivingMarket | None) -> str:
    """The banner's lines on the living market: what runs, where it logs, the simulated accounts."""
    if living is None:
        return ""
    manifest = living.manifest()
    prefix = f"sim-{manifest['run']}-"
    traders = ", ".join(
        f"{a['account_id'].removeprefix(prefix)} ({a['platform']})" for a in manifest["accounts"]
    )
    return f"""
  Market     the simulator trading on the platform fakes: seed {manifest["seed"]} (MARKET_SEED), a tick every
             {manifest["interval"]:g} s (MARKET_INTERVAL); log .local/market.log
             {traders}
             accounts {prefix}<trader>, the demo trader's
  Connector  Match-Trader's event stream, DXtrade's push socket; logs .local/connector-*.log
  Polling    Match-Trader and DXtrade every minute (EventBridge): deals and equity of the due accounts
  Stop       make local-down (the connectors, the market and the local cloud)
"""


def banner(
    endpoints: LocalEndpoints,
    demo: dict[str, str],
    providers: FakeProviders,
    living: LivingMarket | None = None,
) -> str:
    """What `make dev` prints: where the system answers, and commands that work as printed, in order, from
    the clone's root (tests/e2e/test_printed_commands.py runs them). Commands are the lines indented by two
    spaces after "Try:"; a line indented further continues the command above it (after a `\\`) or, under an
    interactive command, is what to type into it."""
    api = endpoints.rest_url("")
    stripe, coinbase, platform = providers.urls()
    now = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=1)  # after the account's opening
    return f"""
propdesk is running locally (stage dev, the real CDK stack in ministack on {endpoints.cloud}).

  REST API   {api}
  WebSocket  {endpoints.websocket_url}
  Demo users trader {demo["trader_email"]} / staff {demo["staff_email"]} (password {demo["password"]})
{living_lines(living)}
Try:
  curl -s {api}/v1/programs
  TOKEN=$(.venv/bin/propdesk token --email {demo["trader_email"]} --password '{demo["password"]}')
  curl -s -X POST -H 'content-type: application/json' {api}/v1/auth/sign-in \\
       -d '{{"email": "{demo["trader_email"]}", "password": "{demo["password"]}"}}'   # the same, via our API
  curl -s -H "Authorization: $TOKEN" {api}/v1/accounts
  .venv/bin/python -m scripts.push_event --account {demo["account_id"]} --equity 98000.00  # signed push
  curl -s -H "Authorization: $TOKEN" {api}/v1/accounts/{demo["account_id"]}

Buy a challenge (local fakes: Stripe {stripe}, Coinbase Commerce {coinbase}, Match-Trader {platform}):
  curl -s -X POST -H "Authorization: $TOKEN" -H "Idempotency-Key: demo-{now:%H%M%S}" \\
       -H 'content-type: application/json' {api}/v1/orders \\
       -d '{{"program_id": "one-step-100k", "currency": "EUR"}}' | tee .local/order.json
  curl -s "$(.venv/bin/python -c 'import json; print(json.load(open(".local/order.json"))["payment_url"])')"
  curl -s -H "Authorization: $TOKEN" {api}/v1/orders       # paid (Stripe's webhook), then provisioned
  curl -s -H "Authorization: $TOKEN" {api}/v1/accounts     # the new account, on the (fake) platform
  .venv/bin/python -m scripts.mailbox                      # the local mailbox: receipt, platform login
  .venv/bin/python -m scripts.mailbox --show 1             # the latest e-mail's text

Live updates (interactive: type the line below it, then post an event above):
  .venv/bin/python -m websockets "{endpoints.websocket_url}?token=$TOKEN"
      {{"action": "subscribe", "topics": ["account:{demo["account_id"]}"]}}

Verify the trader (the KYC gate, as a passed evaluation runs it; Veriff and Sumsub are local fakes on ports
{PORT + 13}-{PORT + 14}, Veriff unless started with `KYC_PROVIDER=sumsub make dev`):
  AWS_ENDPOINT_URL={endpoints.cloud} AWS_DEFAULT_REGION=us-east-1 \\
      AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test .venv/bin/python -c \\
      'import boto3, json, sys; boto3.client("stepfunctions").start_execution( \\
      stateMachineArn=sys.argv[1], input=json.dumps({{"trader_id": sys.argv[2], \\
      "need": {{"kind": "funded", "reference": sys.argv[3]}}}}))' \\
      {endpoints.outputs["KycStateMachineArn"]} {demo["trader_id"]} {demo["account_id"]}
  curl -s -H "Authorization: $TOKEN" {api}/v1/me/kyc | tee .local/kyc.json  # verification_url: for a browser
  curl -s "$(sed -E 's/.*"verification_url": ?"([^"]+)".*/\\1/' .local/kyc.json)?outcome=approve"

Ctrl-C stops the local cloud, the market and the connectors (the cloud's state is kept for the next
`make dev`).
"""


def secrets_client(cloud: LocalCloud) -> Any:
    import boto3

    return boto3.client(
        "secretsmanager",
        endpoint_url=cloud.endpoint,
        region_name=REGION,
        aws_access_key_id="test",
        aws_secret_access_key="test",  # noqa: S106 - the emulator's dummy keys
    )


def run() -> None:
    cloud = LocalCloud(port=PORT, state_dir=LOCAL / "state", persist=True)
    started_here = not cloud.is_healthy()
    cloud.start()
    providers = FakeProviders(first_port=PORT + 10, platform_elsewhere=True)
    living = LivingMarket(first_port=PORT + 12, seed=MARKET_SEED, interval=MARKET_INTERVAL)
    if started_here:
        providers.start()

    def stop_all() -> None:
        living.stop()
        providers.stop()
        if started_here:
            cloud.stop()

    def shut_down(signum: int, frame: FrameType | None) -> None:
        stop_all()
        sys.exit(0)

    signal.signal(signal.SIGINT, shut_down)
    signal.signal(signal.SIGTERM, shut_down)
    try:
        living.start_market()  # Match-Trader (provisioning's too) and DXtrade, with the simulator
        chosen = {"kyc_provider": KYC_PROVIDER} if KYC_PROVIDER else {}  # the firm's KYC provider
        context = {**providers.cdk_context(), **living.cdk_context(), **chosen}
        outputs = cloud.deploy(LOCAL / "outputs.json", extra_context=context)
        endpoints = LocalEndpoints.from_outputs(cloud.endpoint, outputs)
        providers.point_webhooks(endpoints)  # Stripe's hosted page pays there; Veriff and Sumsub decide there
        providers.write_secrets(secrets_client(cloud))
        living.write_secrets(secrets_client(cloud))  # after the providers': Match-Trader's with its stream
        local_system = {"endpoint": cloud.endpoint, "outputs": outputs}
        (LOCAL / "dev.json").write_text(json.dumps(local_system, indent=2))
        demo = seed_demo_firm(endpoints)
        living.seed_accounts(endpoints, demo["trader_id"])
        living.start_connectors(endpoints)
        living.let_trade()
    except BaseException:
        stop_all()
        raise
    print(banner(endpoints, demo, providers, living), flush=True)
    if not started_here:
        print("(the local cloud was already running: redeployed and seeded; it is left running)")
        return
    while True:
        time.sleep(3600)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--stop", action="store_true", help="stop a local cloud left running")
    args = parser.parse_args()
    if args.stop:
        LivingMarket(first_port=PORT + 12).stop()
        LocalCloud(port=PORT, state_dir=LOCAL / "state", persist=True).stop()
        return
    run()


if __name__ == "__main__":
    main()
