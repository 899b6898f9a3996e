"""`python -m fakes [--stripe-port P] [--coinbase-port P] [--match-trader-port P] [--tradelocker-port P]
[--dxtrade-port P] [--ctrader-port P] [--ctrader-ws-port P] [--mt5-bridge-port P] [--veriff-port P]
[--sumsub-port P] [--veriff-webhook-url U] [--sumsub-webhook-url U]`: run the fakes until interrupted,
printing their URLs as JSON (the cTrader Open API WebSocket as `ctrader_open_api`). The KYC fakes send their
signed webhooks to the given URLs (the stack's `/v1/webhooks/veriff` and `/v1/webhooks/sumsub`)."""

from __future__ import annotations

import argparse
import contextlib
import json
import signal
import threading

from fakes.coinbase import FakeCoinbaseCommerce
from fakes.ctrader import FakeCTrader
from fakes.dxtrade import FakeDXtrade
from fakes.match_trader import FakeMatchTrader
from fakes.mt5_bridge import FakeMt5Bridge
from fakes.server import FakeService
from fakes.stripe import FakeStripe
from fakes.sumsub import FakeSumsub
from fakes.tradelocker import FakeTradeLocker
from fakes.veriff import FakeVeriff


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--stripe-port", type=int, default=0)
    parser.add_argument("--coinbase-port", type=int, default=0)
    parser.add_argument("--match-trader-port", type=int, default=0)
    parser.add_argument("--tradelocker-port", type=int, default=0)
    parser.add_argument("--dxtrade-port", type=int, default=0)
    parser.add_argument("--ctrader-port", type=int, default=0)
    parser.add_argument("--ctrader-ws-port", type=int, default=0)
    parser.add_argument("--mt5-bridge-port", type=int, default=0)
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
        "tradelocker": (FakeTradeLocker(), args.tradelocker_port),
        "dxtrade": (FakeDXtrade(), args.dxtrade_port),
        "veriff": (veriff, args.veriff_port),
        "sumsub": (sumsub, args.sumsub_port),
    }
    urls = {name: fake.start(port) for name, (fake, port) in fakes.items()}
    ctrader = FakeCTrader()
    urls["ctrader"] = ctrader.start(args.ctrader_port, args.ctrader_ws_port)
    urls["ctrader_open_api"] = ctrader.ws_url
    mt5_bridge = FakeMt5Bridge()
    urls["mt5_bridge"] = mt5_bridge.start(args.mt5_bridge_port)
    print(json.dumps(urls), flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with contextlib.suppress(KeyboardInterrupt):
        stop.wait()
    for fake, _ in fakes.values():
        fake.stop()
    ctrader.stop()
    mt5_bridge.stop()


if __name__ == "__main__":
    main()
