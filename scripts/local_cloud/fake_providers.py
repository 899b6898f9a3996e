"""The outside providers, faked locally: Stripe, Coinbase Commerce, the Match-Trader Broker API, Veriff,
Sumsub and Bridge (the stablecoin payout rail), each a small server speaking the provider's documented HTTP
API (`fakes/`). The stack is pointed at them through CDK context, and their credentials go into the stack's
own Secrets Manager secrets, as ops would set the real ones; the KYC fakes and the rail send their signed
webhooks to the stack's routes (`point_webhooks`)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from fakes.bridge import CUSTOMER_ID as BRIDGE_CUSTOMER_ID
from fakes.bridge import WALLET_ID as BRIDGE_WALLET_ID
from fakes.bridge import FakeBridge
from fakes.coinbase import FakeCoinbaseCommerce
from fakes.match_trader import FakeMatchTrader
from fakes.server import FakeService
from fakes.stripe import FakeStripe
from fakes.sumsub import LEVEL_NAME, FakeSumsub
from fakes.veriff import FakeVeriff
from scripts.local_cloud.cloud import STAGE
from scripts.local_cloud.endpoints import LocalEndpoints


@dataclass
class FakeProviders:
    stripe: FakeStripe = field(default_factory=FakeStripe)
    coinbase: FakeCoinbaseCommerce = field(default_factory=FakeCoinbaseCommerce)
    match_trader: FakeMatchTrader = field(default_factory=FakeMatchTrader)
    veriff: FakeVeriff = field(default_factory=FakeVeriff)
    sumsub: FakeSumsub = field(default_factory=FakeSumsub)
    bridge: FakeBridge = field(default_factory=FakeBridge)  # its webhooks go out when a test flushes them

    first_port: int = 0
    """Fixed ports (`first_port` and the five after it) for `make dev`; 0 picks free ports (tests)."""
    started: bool = False
    platform_elsewhere: bool = False
    """Match-Trader is served by another process on its fixed port (`make dev`'s living market), beside the
    other platform fakes and the simulator trading on them; needs `first_port`."""

    def start(self) -> None:
        for offset, fake in enumerate(self._fakes()):
            if not self._elsewhere(fake):
                fake.start(self.first_port + offset if self.first_port else 0)
        self.started = True

    def stop(self) -> None:
        if self.started:
            for fake in self._fakes():
                if not self._elsewhere(fake):
                    fake.stop()
            self.started = False

    def _elsewhere(self, fake: FakeService) -> bool:
        return self.platform_elsewhere and fake is self.match_trader

    def urls(self) -> tuple[str, str, str]:
        """Stripe's, Coinbase Commerce's and Match-Trader's base URLs (known before the start on fixed ports,
        so a second `make dev` can point the stack at the fakes the first one serves)."""
        stripe, coinbase, platform = self._urls()[:3]
        return stripe, coinbase, platform

    def cdk_context(self) -> dict[str, str]:
        stripe, coinbase, platform, veriff, sumsub, bridge = self._urls()
        return {
            "stripe_api_base": stripe,
            "coinbase_api_base": coinbase,
            "match_trader_base_url": platform,
            **kyc_context(veriff, sumsub),
            "bridge_api_base": bridge,
            "bridge_customer_id": BRIDGE_CUSTOMER_ID,
            "bridge_wallet_id": BRIDGE_WALLET_ID,
        }

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
            **kyc_secrets(self.veriff, self.sumsub),
            f"propdesk/{STAGE}/bridge": json.dumps(
                {"api_key": self.bridge.api_key, "webhook_public_key": self.bridge.public_key_pem}
            ),
        }

    def point_webhooks(self, endpoints: LocalEndpoints) -> None:
        """Where the fakes send their signed webhooks: the deployed stack's routes."""
        self.stripe.webhook_url = endpoints.rest_url("/v1/webhooks/stripe")  # the hosted page pays here
        point_kyc_webhooks(self.veriff, self.sumsub, endpoints)
        self.bridge.webhook_url = endpoints.rest_url("/v1/webhooks/payouts/bridge")

    def _fakes(self) -> tuple[FakeService, ...]:
        return self.stripe, self.coinbase, self.match_trader, self.veriff, self.sumsub, self.bridge

    def _urls(self) -> tuple[str, ...]:
        if self.first_port:
            return tuple(f"http://127.0.0.1:{self.first_port + n}" for n in range(len(self._fakes())))
        return tuple(fake.url for fake in self._fakes())

    def write_secrets(self, secretsmanager: Any) -> None:
        for name, value in self.secrets().items():
            secretsmanager.put_secret_value(SecretId=name, SecretString=value)


def kyc_context(veriff_url: str, sumsub_url: str) -> dict[str, str]:
    """CDK context pointing the KYC functions at the fakes (whichever `kyc_provider` the firm chose)."""
    return {"veriff_api_base": veriff_url, "sumsub_api_base": sumsub_url, "sumsub_level_name": LEVEL_NAME}


def kyc_secrets(veriff: FakeVeriff, sumsub: FakeSumsub) -> dict[str, str]:
    """The KYC providers' secrets as ops write them (the JSON the adapters read)."""
    return {
        f"propdesk/{STAGE}/veriff": json.dumps(
            {"api_key": veriff.api_key, "shared_secret": veriff.shared_secret}
        ),
        f"propdesk/{STAGE}/sumsub": json.dumps(
            {
                "app_token": sumsub.app_token,
                "secret_key": sumsub.secret_key,
                "webhook_secret": sumsub.webhook_secret,
            }
        ),
    }


def point_kyc_webhooks(veriff: FakeVeriff, sumsub: FakeSumsub, endpoints: LocalEndpoints) -> None:
    veriff.webhook_url = endpoints.rest_url("/v1/webhooks/veriff")
    sumsub.webhook_url = endpoints.rest_url("/v1/webhooks/sumsub")
