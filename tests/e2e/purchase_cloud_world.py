"""The stack deployed into a throwaway local cloud with the purchase functions pointed at local fakes of
Stripe, Coinbase Commerce and Match-Trader (CDK context `stripe_api_base`, ...), the providers' credentials
written into the stack's own Secrets Manager secrets, and the demo firm seeded. Used by the purchase
end-to-end tests and by `benchmarks/purchases_bench.py`."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fakes.coinbase import FakeCoinbaseCommerce
from fakes.fault_proxy import FaultPlan, FaultProxy
from fakes.match_trader import FakeMatchTrader
from fakes.stripe import FakeStripe
from scripts.local_cloud.cloud import LocalCloud, free_port
from scripts.local_cloud.endpoints import LocalEndpoints
from scripts.local_cloud.fake_providers import FakeProviders
from scripts.local_cloud.seed import seed_demo_firm
from tests.e2e.harness import DeployedStack


@dataclass
class PurchaseCloud:
    stack: DeployedStack
    stripe: FakeStripe
    coinbase: FakeCoinbaseCommerce
    match_trader: FakeMatchTrader
    proxy: FaultProxy | None = None  # between the functions and the local cloud, when faults are injected

    def token(self) -> str:
        return self.stack.id_token(self.stack.demo["trader_email"], self.stack.demo["password"])

    def deliver_stripe(self, event: dict[str, Any], **signing: Any) -> Any:
        body, headers = self.stripe.delivery(event, **signing)
        return self.stack.http("POST", "/v1/webhooks/stripe", body, headers)


@contextmanager
def purchase_cloud(
    workdir: Path,
    requests_per_minute: int = 500,
    extra_context: dict[str, str] | None = None,
    fault_plan: FaultPlan | None = None,
) -> Iterator[PurchaseCloud]:
    """With a `fault_plan`, the functions reach the local cloud through a `FaultProxy` (switched off until
    the stack is deployed and seeded: tests switch it on); tools and tests use the cloud's own port."""
    stripe, coinbase = FakeStripe(), FakeCoinbaseCommerce()
    platform = FakeMatchTrader(requests_per_minute=requests_per_minute)
    providers = FakeProviders(stripe, coinbase, platform)
    providers.start()
    port = free_port()
    proxy = None
    if fault_plan is not None:
        proxy = FaultProxy(f"http://127.0.0.1:{port}", fault_plan)
        proxy.enabled = False
        proxy.start()
    cloud = LocalCloud(
        port=port, state_dir=workdir / "state", persist=False, handler_endpoint=proxy.url if proxy else None
    )
    cloud.start()
    try:
        outputs = cloud.deploy(
            workdir / "outputs.json",
            assembly_dir=workdir / "cdk.out",
            extra_context={**providers.cdk_context(), **(extra_context or {})},
        )
        endpoints = LocalEndpoints.from_outputs(cloud.endpoint, outputs)
        stack = DeployedStack(endpoints=endpoints, demo=seed_demo_firm(endpoints))
        providers.write_secrets(stack.client("secretsmanager"))
        os.environ.setdefault("AWS_ACCESS_KEY_ID", "test")
        yield PurchaseCloud(stack, stripe, coinbase, platform, proxy)
    finally:
        cloud.stop()
        providers.stop()
        if proxy is not None:
            proxy.stop()
