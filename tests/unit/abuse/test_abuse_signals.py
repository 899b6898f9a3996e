"""Identity-signal capture: keyed hashes only, one per trader, kind, value and day, and a capture that never
breaks the caller."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from propdesk.abuse.signals import CapturedSignal, NoSignals, SignalCapture, SignalHasher
from propdesk.adapters.kyc.veriff import identity_digests

MONDAY = datetime(2026, 3, 2, 9, tzinfo=UTC)
KEY = b"a-firm-key-of-enough-bytes"


class DailyStore:
    def __init__(self) -> None:
        self.kept: dict[tuple[str, str, str, str], CapturedSignal] = {}

    def add(self, signal: CapturedSignal) -> bool:
        key = (signal.trader_id, f"{signal.at:%Y-%m-%d}", signal.kind, signal.value)
        if key in self.kept:
            return False
        self.kept[key] = signal
        return True


class BrokenStore:
    def add(self, signal: CapturedSignal) -> bool:
        raise ConnectionError("the table is unreachable")


def test_the_stored_value_is_a_keyed_hash_never_the_raw_value() -> None:
    store = DailyStore()
    SignalCapture(SignalHasher(KEY), store).capture("t1", "ip", "203.0.113.7", MONDAY)

    (signal,) = store.kept.values()
    assert "203.0.113.7" not in repr(signal) and len(signal.value) == 32
    assert signal.value != SignalHasher(b"another-firm-key-16b").digest("ip", "203.0.113.7")


def test_two_traders_sending_one_value_share_its_hash_whatever_the_case_and_spaces() -> None:
    hasher = SignalHasher(KEY)
    assert hasher.digest("device", " Dev-ABC ") == hasher.digest("device", "dev-abc")
    assert hasher.digest("card", "fp_1") != hasher.digest("payout_destination", "fp_1"), "kinds never mix"


def test_a_value_sent_again_the_same_day_is_kept_once_and_again_the_next_day() -> None:
    store = DailyStore()
    capture = SignalCapture(SignalHasher(KEY), store)

    assert capture.capture("t1", "ip", "203.0.113.7", MONDAY)
    assert not capture.capture("t1", "ip", "203.0.113.7", MONDAY + timedelta(hours=3))
    assert capture.capture("t1", "ip", "203.0.113.7", MONDAY + timedelta(days=1))
    assert len(store.kept) == 2


@pytest.mark.parametrize(("trader", "raw"), [("", "203.0.113.7"), ("t1", ""), ("t1", "x" * 600)])
def test_nothing_is_kept_without_a_trader_or_a_plausible_value(trader: str, raw: str) -> None:
    store = DailyStore()
    assert not SignalCapture(SignalHasher(KEY), store).capture(trader, "device", raw, MONDAY)
    assert store.kept == {}


def test_a_failing_store_loses_the_signal_but_never_raises_into_the_caller() -> None:
    assert SignalCapture(SignalHasher(KEY), BrokenStore()).capture("t1", "card", "fp_1", MONDAY) is False
    assert NoSignals().capture("t1", "card", "fp_1", MONDAY) is False


def test_a_short_key_is_refused() -> None:
    with pytest.raises(ValueError, match="16 bytes"):
        SignalHasher(b"short")


def test_a_signal_becomes_the_detectors_identity_signal_with_a_once_per_day_id() -> None:
    signal = CapturedSignal("t1", "card", "abc", MONDAY)
    event = signal.as_input()
    assert (event.kind, event.value, event.time) == ("card", "abc", MONDAY)
    assert event.event_id == signal.event_id == "signal:t1:2026-03-02:card:abc"


def test_veriff_identity_digests_agree_across_spellings_and_need_every_part() -> None:
    first = identity_digests(
        {"firstName": "Anna  Maria", "lastName": "KOWALSKA", "dateOfBirth": "1990-04-01"},
        {"number": "ab-123 456", "country": "pl"},
    )
    second = identity_digests(
        {"firstName": "anna maria", "lastName": "Kowalska", "dateOfBirth": "1990-04-01"},
        {"number": "AB123456", "country": "PL"},
    )
    assert first == second and len(first) == 2
    assert identity_digests({"firstName": "Anna"}, {"number": "AB1"}) == ()
    assert all("KOWALSKA" not in digest.upper() for digest in first)
