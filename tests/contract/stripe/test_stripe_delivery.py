"""The Stripe fake delivers webhooks as Stripe does, to a local HTTP receiver: the payment page answers at
once, the signed event goes out from the delivery worker outside the fake's lock (so the receiver can call the
fake back, as the stripe_webhook function does), and a failed delivery is sent again after a growing delay."""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from fakes.signing import stripe_signature_header
from fakes.stripe import FakeStripe
from fakes.webhook_outbox import doubling

Answer = Callable[[dict[str, Any]], int]


@dataclass
class Receiver:
    """A webhook endpoint on loopback: `answer(event)` decides each status; every attempt is recorded."""

    answer: Answer
    attempts: list[tuple[float, int, dict[str, Any], dict[str, str], bytes]] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None

    def start(self) -> str:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                event = json.loads(body)
                status = receiver.answer(event)
                receiver.attempts.append((time.monotonic(), status, event, dict(self.headers), body))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1/webhooks/stripe"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def statuses(self) -> list[int]:
        return [status for _, status, *_ in self.attempts]


@pytest.fixture
def stripe() -> Iterator[FakeStripe]:
    fake = FakeStripe(redelivery=doubling(0.2, 2.0), max_delivery_attempts=4)
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture
def receivers() -> Iterator[Callable[[Answer], Receiver]]:
    started: list[Receiver] = []

    def start(answer: Answer) -> Receiver:
        receiver = Receiver(answer)
        started.append(receiver)
        receiver.start()
        return receiver

    yield start
    for receiver in started:
        receiver.stop()


def new_session(stripe: FakeStripe) -> str:
    form = (
        "mode=payment&client_reference_id=ord_1&metadata[order_id]=ord_1"
        "&line_items[0][price_data][currency]=usd&line_items[0][price_data][unit_amount]=54000"
        "&line_items[0][quantity]=1"
    )
    answer = call(stripe, "POST", "/v1/checkout/sessions", form.encode())
    return str(answer["id"])


def call(stripe: FakeStripe, method: str, path: str, body: bytes | None = None, timeout: float = 5) -> Any:
    request = urllib.request.Request(  # noqa: S310 - the fake on loopback
        stripe.url + path,
        data=body,
        method=method,
        headers={
            "Authorization": f"Bearer {stripe.api_key}",
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310
        return json.loads(answer.read())


def eventually(probe: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not probe():
        assert time.monotonic() < deadline, "the webhook was not delivered in time"
        time.sleep(0.02)


def test_a_webhook_whose_handler_calls_back_into_stripe_is_delivered(
    stripe: FakeStripe, receivers: Callable[[Answer], Receiver]
) -> None:
    seen: list[str] = []

    def retrieve_the_session(event: dict[str, Any]) -> int:
        session_id = event["data"]["object"]["id"]
        session = call(stripe, "GET", f"/v1/checkout/sessions/{session_id}", timeout=2)
        seen.append(session["payment_status"])
        return 200

    receiver = receivers(retrieve_the_session)
    stripe.webhook_url = receiver.start()
    session_id = new_session(stripe)

    page = call(stripe, "GET", f"/pay/{session_id}")

    assert page["payment_status"] == "paid"
    eventually(lambda: len(stripe.deliveries) == 1)
    assert receiver.statuses == [200]
    assert seen == ["paid"]


def test_the_delivery_is_signed_as_stripe_signs_it(
    stripe: FakeStripe, receivers: Callable[[Answer], Receiver]
) -> None:
    receiver = receivers(lambda event: 200)
    stripe.webhook_url = receiver.start()
    call(stripe, "GET", f"/pay/{new_session(stripe)}")
    eventually(lambda: len(receiver.attempts) == 1)

    _, _, event, headers, body = receiver.attempts[0]
    timestamp = int(headers["Stripe-Signature"].split(",")[0].removeprefix("t="))
    assert headers["Stripe-Signature"] == stripe_signature_header(body, stripe.webhook_secret, timestamp)
    assert event["type"] == "checkout.session.completed"


def test_a_failed_delivery_is_sent_again_after_a_growing_delay(
    stripe: FakeStripe, receivers: Callable[[Answer], Receiver]
) -> None:
    answers = iter([500, 503, 200])
    receiver = receivers(lambda event: next(answers))
    stripe.webhook_url = receiver.start()

    call(stripe, "GET", f"/pay/{new_session(stripe)}")

    eventually(lambda: len(stripe.deliveries) == 1)
    assert receiver.statuses == [500, 503, 200]
    first, second, third = (moment for moment, *_ in receiver.attempts)
    assert second - first >= 0.2  # the first retry waits 0.2 s
    assert third - second >= 0.4  # the next one twice as long
    assert {event["id"] for _, _, event, _, _ in receiver.attempts} == {stripe.deliveries[0].event["id"]}


def test_a_receiver_that_never_accepts_is_given_up_after_the_last_attempt(
    stripe: FakeStripe, receivers: Callable[[Answer], Receiver]
) -> None:
    receiver = receivers(lambda event: 500)
    stripe.webhook_url = receiver.start()

    call(stripe, "GET", f"/pay/{new_session(stripe)}")

    eventually(lambda: len(stripe.outbox.abandoned) == 1, timeout=15)
    assert receiver.statuses == [500, 500, 500, 500]
    assert stripe.deliveries == []


def test_the_payment_page_answers_before_the_webhook_is_handled(
    stripe: FakeStripe, receivers: Callable[[Answer], Receiver]
) -> None:
    def slow(event: dict[str, Any]) -> int:
        time.sleep(2)
        return 200

    receiver = receivers(slow)
    stripe.webhook_url = receiver.start()
    session_id = new_session(stripe)

    started = time.monotonic()
    page = call(stripe, "GET", f"/pay/{session_id}")

    assert time.monotonic() - started < 1.0
    assert (page["status"], page["payment_status"]) == ("complete", "paid")
    eventually(lambda: len(stripe.deliveries) == 1)


def test_opening_a_paid_sessions_page_again_pays_nothing_more(
    stripe: FakeStripe, receivers: Callable[[Answer], Receiver]
) -> None:
    receiver = receivers(lambda event: 200)
    stripe.webhook_url = receiver.start()
    session_id = new_session(stripe)

    call(stripe, "GET", f"/pay/{session_id}")
    again = call(stripe, "GET", f"/pay/{session_id}")

    eventually(lambda: len(stripe.deliveries) == 1)
    time.sleep(0.3)
    assert again["payment_status"] == "paid"
    assert len(stripe.payment_intents) == 1
    assert len(receiver.attempts) == 1
