"""A platform connection's secret is read on first use, kept for its time to live, and read again after it
(or at once when the platform refused it), so a rotated secret needs no cold start."""

from __future__ import annotations

import json

from propdesk.adapters.platforms.credentials import CachedSecret

from tests.doubles.timing import FakeTime


class RotatingSource:
    def __init__(self) -> None:
        self.value = {"api_token": "first"}
        self.reads = 0
        self.forgotten: list[str] = []

    def get(self, secret_id: str) -> str:
        self.reads += 1
        return json.dumps(self.value)

    def forget(self, secret_id: str) -> None:
        self.forgotten.append(secret_id)


def test_the_secret_is_read_once_within_its_time_to_live() -> None:
    source, time = RotatingSource(), FakeTime()
    secret = CachedSecret(source, "arn:platform", ttl=300, clock=time.monotonic)
    assert source.reads == 0  # nothing at construction
    assert secret.field("api_token") == "first"
    source.value = {"api_token": "second"}
    time.now += 299
    assert secret.field("api_token") == "first"
    assert source.reads == 1


def test_a_rotated_secret_is_picked_up_after_the_time_to_live() -> None:
    source, time = RotatingSource(), FakeTime()
    secret = CachedSecret(source, "arn:platform", ttl=300, clock=time.monotonic)
    secret()
    source.value = {"api_token": "second"}
    time.now += 300
    assert secret.field("api_token") == "second"
    assert source.forgotten == ["arn:platform"]  # a caching source is told to read it again


def test_a_refusal_makes_the_next_call_read_the_secret_again() -> None:
    source, time = RotatingSource(), FakeTime()
    secret = CachedSecret(source, "arn:platform", clock=time.monotonic)
    secret()
    source.value = {"api_token": "second"}
    secret.refresh()
    assert secret.field("api_token") == "second"
    assert secret.field("missing") == ""
