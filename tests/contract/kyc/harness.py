"""Each KYC adapter wired to its fake, a local endpoint receiving the fake's webhooks, and the provider's
way of signing, so that one contract test runs against both providers."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from propdesk.adapters.kyc.calls import ProviderCalls, provider_breaker
from propdesk.adapters.kyc.credentials import TtlSecrets
from propdesk.adapters.kyc.sumsub import SumsubProvider
from propdesk.adapters.kyc.veriff import VeriffProvider
from propdesk.errors import DomainError
from propdesk.kyc.port import KycProvider, KycProviderName, KycSession, ProviderDecision, ProviderProgress
from propdesk.resilience.retry import RetryPolicy

from fakes import sumsub as fake_sumsub
from fakes import veriff as fake_veriff
from fakes.server import FakeService
from tests.doubles.ports import ManualClock, StaticSecrets

FAST_REDELIVERY = (0.05, 0.1, 0.2, 0.4)
Verified = ProviderDecision | ProviderProgress


@dataclass
class Received:
    """One webhook delivery as the endpoint saw it, and what became of it."""

    body: bytes
    headers: dict[str, str]
    status: int
    verified: Verified | None = None
    refusal: DomainError | None = None


class WebhookEndpoint:
    """A local HTTP endpoint standing in for the stack's webhook route: it verifies every delivery with the
    adapter and answers as the route would (200, or the refusal's status). `fail_next` makes it answer 500
    to the next deliveries (a crashed handler); `then` runs on each verified webhook and may refuse it."""

    def __init__(self, verify: Callable[[bytes, dict[str, str]], Verified]) -> None:
        self.verify = verify
        self.received: list[Received] = []
        self.then: Callable[[Verified], None] = lambda _: None
        self._failures = 0
        self._lock = threading.Lock()
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status = endpoint.handle(body, dict(self.headers.items()))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/v1/webhooks/kyc"

    def fail_next(self, count: int) -> None:
        with self._lock:
            self._failures += count

    def handle(self, body: bytes, headers: dict[str, str]) -> int:
        from propdesk.http.errors import STATUS_BY_ERROR

        with self._lock:
            if self._failures:
                self._failures -= 1
                self.received.append(Received(body, headers, 500))
                return 500
        try:
            verified = self.verify(body, headers)
            self.then(verified)
        except DomainError as refusal:
            status = next((s for kind, s in STATUS_BY_ERROR.items() if isinstance(refusal, kind)), 400)
            with self._lock:
                self.received.append(Received(body, headers, int(status), refusal=refusal))
            return int(status)
        with self._lock:
            self.received.append(Received(body, headers, 200, verified=verified))
        return 200

    def accepted(self) -> list[Verified]:
        with self._lock:
            return [r.verified for r in self.received if r.verified is not None]

    def decisions(self) -> list[ProviderDecision]:
        return [v for v in self.accepted() if isinstance(v, ProviderDecision)]

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@dataclass
class Harness:
    name: KycProviderName
    fake: Any  # FakeVeriff | FakeSumsub
    adapter: KycProvider
    clock: ManualClock
    endpoint: WebhookEndpoint
    secrets: StaticSecrets
    secret_id: str
    make_adapter: Callable[[str], KycProvider]  # a second adapter over other secret JSON (wrong keys)
    extra: dict[str, Any] = field(default_factory=dict)

    # ---- the trader's part ----

    def open_page(self, session: KycSession, outcome: str | None = None) -> tuple[int, str]:
        url = session.url if outcome is None else f"{session.url}?outcome={outcome}"
        try:
            with urllib.request.urlopen(url, timeout=10) as page:  # noqa: S310 - the local fake
                return int(page.status), page.read().decode()
        except urllib.error.HTTPError as error:
            return int(error.code), error.read().decode()

    def complete(self, session: KycSession, outcome: str) -> None:
        status, page = self.open_page(session, outcome)
        assert status == 200, page
        assert self.fake.webhooks.wait(10), "the fake's webhooks are still pending"

    # ---- the provider's signing ----

    def signed_headers(self, body: bytes, secret: str | None = None) -> dict[str, str]:
        if self.name == "veriff":
            return fake_veriff.veriff_headers(body, secret or self.fake.shared_secret, self.fake.api_key)
        return fake_sumsub.sumsub_headers(
            body, secret or self.fake.webhook_secret, self.fake.digest_algorithm
        )

    def reference_at_fake(self, session: KycSession) -> str:
        if self.name == "veriff":
            return str(self.fake.sessions[session.session_id]["vendorData"])
        return str(self.fake.applicants[session.session_id]["externalUserId"])

    def stop(self) -> None:
        self.endpoint.stop()
        fake: FakeService = self.fake
        fake.stop()


def now_clock() -> ManualClock:
    return ManualClock(datetime.fromtimestamp(time.time(), UTC))


def veriff_harness() -> Harness:
    fake = fake_veriff.FakeVeriff(retry_delays=FAST_REDELIVERY)
    fake.start()
    clock = now_clock()
    secret_id = "propdesk/test/veriff"
    secrets = StaticSecrets(
        {secret_id: json.dumps({"api_key": fake.api_key, "shared_secret": fake.shared_secret})}
    )

    def make(secret_string: str | None = None) -> KycProvider:
        store = secrets if secret_string is None else StaticSecrets({secret_id: secret_string})
        return VeriffProvider(
            TtlSecrets(store, min_refresh_interval=0), secret_id, _calls("veriff", fake.url), clock
        )

    adapter = make()
    endpoint = WebhookEndpoint(adapter.verify_webhook)
    fake.webhook_url = endpoint.url
    return Harness("veriff", fake, adapter, clock, endpoint, secrets, secret_id, make)


def sumsub_harness() -> Harness:
    fake = fake_sumsub.FakeSumsub(retry_delays=FAST_REDELIVERY)
    fake.start()
    clock = now_clock()
    secret_id = "propdesk/test/sumsub"
    document = {
        "app_token": fake.app_token,
        "secret_key": fake.secret_key,
        "webhook_secret": fake.webhook_secret,
    }
    secrets = StaticSecrets({secret_id: json.dumps(document)})

    def make(secret_string: str | None = None) -> KycProvider:
        store = secrets if secret_string is None else StaticSecrets({secret_id: secret_string})
        return SumsubProvider(
            TtlSecrets(store, min_refresh_interval=0),
            secret_id,
            _calls("sumsub", fake.url),
            clock,
            fake_sumsub.LEVEL_NAME,
        )

    adapter = make()
    endpoint = WebhookEndpoint(adapter.verify_webhook)
    fake.webhook_url = endpoint.url
    return Harness("sumsub", fake, adapter, clock, endpoint, secrets, secret_id, make)


def _calls(provider: str, url: str) -> ProviderCalls:
    return ProviderCalls(
        provider,
        url,
        provider_breaker(provider, time.monotonic, failure_threshold=50),
        time.sleep,
        retry=RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.05),
        timeout=5.0,
    )


HARNESSES: dict[str, Callable[[], Harness]] = {"veriff": veriff_harness, "sumsub": sumsub_harness}
