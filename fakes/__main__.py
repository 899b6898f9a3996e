"""`python -m fakes [--stripe-port P] [--coinbase-port P] [--match-trader-port P] [--veriff-port P]
[--sumsub-port P] [--veriff-webhook-url U] [--sumsub-webhook-url U]`: run the fakes until interrupted,
printing their URLs as JSON (for `make dev`). The KYC fakes send their signed webhooks to the given URLs
(the stack's `/v1/webhooks/veriff` and `/v1/webhooks/sumsub`)."""

from __future__ import annotations

import argparse
import contextlib
import json
import signal
import threading

from fakes.coinbase import FakeCoinbaseCommerce
from fakes.match_trader import FakeMatchTrader
from fakes.server import FakeService
from fakes.stripe import FakeStripe
from fakes.sumsub import FakeSumsub
from fakes.veriff import FakeVeriff


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--stripe-port", type=int, default=0)
    parser.add_argument("--coinbase-port", type=int, default=0)
    parser.add_argument("--match-trader-port", type=int, default=0)
    parser.add_argument("--veriff-port", type=int, default=0)
    parser.add_argument("--sumsub-port", type=int, default=0)
    parser.add_argument("--veriff-webhook-url", default=None)
    parser.add_argument("--sumsub-webhook-url", default=None)
    args = parser.parse_args()
    veriff, sumsub = FakeVeriff(), FakeSumsub()
    veriff.webhook_url, sumsub.webhook_url = args.veriff_webhook_url, args.sumsub_webhook_url
    fakes: dict[str, tuple[FakeService, int]] = {
        "stripe": (FakeStripe(), args.stripe_port),
        "coinbase": (FakeCoinbaseCommerce(), args.coinbase_port),
        "match_trader": (FakeMatchTrader(), args.match_trader_port),
        "veriff": (veriff, args.veriff_port),
        "sumsub": (sumsub, args.sumsub_port),
    }
    urls = {name: fake.start(port) for name, (fake, port) in fakes.items()}
    print(json.dumps(urls), flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with contextlib.suppress(KeyboardInterrupt):
        stop.wait()
    for fake, _ in fakes.values():
        fake.stop()


if __name__ == "__main__":
    main()
