"""The stack deployed into a throwaway local cloud with the purchase functions pointed at local fakes of
Stripe, Coinbase Commerce and Match-Trader (CDK context `stripe_api_base`, ...), the providers' credentials
written into the stack's own Secrets Manager secrets, and the demo firm seeded. Used by the purchase
end-to-end tests and by `benchmarks/purchases_bench.py`."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fakes.coinbase import FakeCoinbaseCommerce
from fakes.match_trader import FakeMatchTrader
from fakes.stripe import FakeStripe
from scripts.local_cloud.cloud import STAGE, LocalCloud, free_port
from scripts.local_cloud.endpoints import LocalEndpoints
from scripts.local_cloud.seed import seed_demo_firm
from tests.e2e.harness import DeployedStack


@dataclass
class PurchaseCloud:
    stack: DeployedStack
    stripe: FakeStripe
    coinbase: FakeCoinbaseCommerce
    match_trader: FakeMatchTrader

    def token(self) -> str:
        answer = self.stack.client("cognito-idp").initiate_auth(
            AuthFlow="USER_PASSWORD_AUTH",
            ClientId=self.stack.outputs["UserPoolClientId"],
            AuthParameters={
                "USERNAME": self.stack.demo["trader_email"],
                "PASSWORD": self.stack.demo["password"],
            },
        )
        return str(answer["AuthenticationResult"]["IdToken"])

    def deliver_stripe(self, event: dict[str, Any], **signing: Any) -> Any:
        body, headers = self.stripe.delivery(event, **signing)
        return self.stack.http("POST", "/v1/webhooks/stripe", body, headers)


def provider_secrets(
    stripe: FakeStripe, coinbase: FakeCoinbaseCommerce, platform: FakeMatchTrader
) -> dict[str, str]:
    return {
        f"propdesk/{STAGE}/stripe": json.dumps(
            {"api_key": stripe.api_key, "webhook_secret": stripe.webhook_secret}
        ),
        f"propdesk/{STAGE}/coinbase-commerce": json.dumps(
            {"api_key": coinbase.api_key, "webhook_secret": coinbase.webhook_secret}
        ),
        f"propdesk/{STAGE}/match-trader": json.dumps({"base_url": platform.url, "api_token": platform.token}),
    }


@contextmanager
def purchase_cloud(
    workdir: Path, requests_per_minute: int = 500, extra_context: dict[str, str] | None = None
) -> Iterator[PurchaseCloud]:
    stripe, coinbase = FakeStripe(), FakeCoinbaseCommerce()
    platform = FakeMatchTrader(requests_per_minute=requests_per_minute)
    for fake in (stripe, coinbase, platform):
        fake.start()
    cloud = LocalCloud(port=free_port(), state_dir=workdir / "state", persist=False)
    cloud.start()
    try:
        outputs = cloud.deploy(
            workdir / "outputs.json",
            assembly_dir=workdir / "cdk.out",
            extra_context={
                "stripe_api_base": stripe.url,
                "coinbase_api_base": coinbase.url,
                "match_trader_base_url": platform.url,
                **(extra_context or {}),
            },
        )
        endpoints = LocalEndpoints.from_outputs(cloud.endpoint, outputs)
        stack = DeployedStack(endpoints=endpoints, demo=seed_demo_firm(endpoints))
        secrets = stack.client("secretsmanager")
        for name, value in provider_secrets(stripe, coinbase, platform).items():
            secrets.put_secret_value(SecretId=name, SecretString=value)
        os.environ.setdefault("AWS_ACCESS_KEY_ID", "test")
        yield PurchaseCloud(stack, stripe, coinbase, platform)
    finally:
        cloud.stop()
        for fake in (stripe, coinbase, platform):
            fake.stop()
