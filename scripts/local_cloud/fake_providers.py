"""The outside providers, faked locally: Stripe, Coinbase Commerce and the Match-Trader Broker API, each a
small server speaking the provider's documented HTTP API (`fakes/`). The stack is pointed at them through
CDK context, and their credentials go into the stack's own Secrets Manager secrets, as ops would set the
real ones."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from fakes.coinbase import FakeCoinbaseCommerce
from fakes.match_trader import FakeMatchTrader
from fakes.stripe import FakeStripe
from scripts.local_cloud.cloud import STAGE


@dataclass
class FakeProviders:
    stripe: FakeStripe = field(default_factory=FakeStripe)
    coinbase: FakeCoinbaseCommerce = field(default_factory=FakeCoinbaseCommerce)
    match_trader: FakeMatchTrader = field(default_factory=FakeMatchTrader)

    first_port: int = 0
    """Fixed ports (`first_port` and the two after it) for `make dev`; 0 picks free ports (tests)."""
    started: bool = False

    def start(self) -> None:
        for offset, fake in enumerate(self._fakes()):
            fake.start(self.first_port + offset if self.first_port else 0)
        self.started = True

    def stop(self) -> None:
        if self.started:
            for fake in self._fakes():
                fake.stop()
            self.started = False

    def urls(self) -> tuple[str, str, str]:
        """Stripe's, Coinbase Commerce's and Match-Trader's base URLs (known before the start on fixed ports,
        so a second `make dev` can point the stack at the fakes the first one serves)."""
        if self.first_port:
            stripe, coinbase, platform = (f"http://127.0.0.1:{self.first_port + n}" for n in range(3))
            return stripe, coinbase, platform
        return self.stripe.url, self.coinbase.url, self.match_trader.url

    def cdk_context(self) -> dict[str, str]:
        stripe, coinbase, platform = self.urls()
        return {"stripe_api_base": stripe, "coinbase_api_base": coinbase, "match_trader_base_url": platform}

    def secrets(self) -> dict[str, str]:
        return {
            f"propdesk/{STAGE}/stripe": json.dumps(
                {"api_key": self.stripe.api_key, "webhook_secret": self.stripe.webhook_secret}
            ),
            f"propdesk/{STAGE}/coinbase-commerce": json.dumps(
                {"api_key": self.coinbase.api_key, "webhook_secret": self.coinbase.webhook_secret}
            ),
            f"propdesk/{STAGE}/match-trader": json.dumps(
                {"base_url": self.urls()[2], "api_token": self.match_trader.token}
            ),
        }

    def _fakes(self) -> tuple[FakeStripe, FakeCoinbaseCommerce, FakeMatchTrader]:
        return self.stripe, self.coinbase, self.match_trader

    def write_secrets(self, secretsmanager: Any) -> None:
        for name, value in self.secrets().items():
            secretsmanager.put_secret_value(SecretId=name, SecretString=value)
