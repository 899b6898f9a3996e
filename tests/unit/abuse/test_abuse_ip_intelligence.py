"""IP intelligence from a list of ranges: the most specific range wins, IPv4 and IPv6 (and IPv4 written as
IPv6), anything else unknown; the shipped sample loads; a sign-in address gets its network before it is
hashed, so a VPN exit weighs what a VPN exit weighs in the shared-identity graph."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from propdesk.abuse.ip_intelligence import UNKNOWN, CidrIntelligence, IpListError, IpVerdict
from propdesk.abuse.signals import CapturedSignal, SignalCapture, SignalHasher

LIST = """
# cidr,network,asn,owner
10.0.0.0/8,hosting,64512,big data centre
10.1.0.0/16,residential,,a home ISP carved out of it
2001:db8:1::/48,mobile,64513,carrier
"""


def test_the_most_specific_range_holding_the_address_wins() -> None:
    ranges = CidrIntelligence.parse(LIST)
    assert ranges.lookup("10.9.9.9") == IpVerdict("hosting", 64512, "big data centre")
    assert ranges.lookup("10.1.2.3").network == "residential"
    assert ranges.lookup("::ffff:10.1.2.3").network == "residential"
    assert ranges.lookup("2001:db8:1::5").network == "mobile"
    assert ranges.lookup("11.0.0.1") == UNKNOWN
    assert ranges.lookup("not an address") == UNKNOWN


@pytest.mark.parametrize(
    "row", ["10.0.0.1/8,hosting", "10.0.0.0/8,vpn", "10.0.0.0/8,hosting,AS1", "10.0.0.0/8"]
)
def test_a_row_that_cannot_be_read_is_refused_with_its_line(row: str) -> None:
    with pytest.raises(IpListError, match="line 1"):
        CidrIntelligence.parse(row)


def test_the_shipped_sample_classifies_the_documentation_ranges() -> None:
    sample = CidrIntelligence.sample()
    assert sample.lookup("198.51.100.7").network == "hosting"
    assert sample.lookup("192.0.2.10").network == "residential"
    assert sample.lookup("203.0.113.9").network == "mobile"


class Kept:
    def __init__(self) -> None:
        self.signals: list[CapturedSignal] = []

    def add(self, signal: CapturedSignal) -> bool:
        self.signals.append(signal)
        return True


def test_a_captured_sign_in_address_carries_its_network_and_only_its_hash() -> None:
    store = Kept()
    capture = SignalCapture(SignalHasher(b"k" * 32), store, CidrIntelligence.parse(LIST))
    now = datetime(2026, 3, 2, tzinfo=UTC)

    capture.capture("t1", "ip", "10.9.9.9", now)
    capture.capture("t1", "ip", "10.1.2.3", now, network="mobile")  # the caller's own word stands
    capture.capture("t1", "device", "10.9.9.9", now)

    assert [s.network for s in store.signals] == ["hosting", "mobile", "unknown"]
    assert all("10." not in s.value for s in store.signals)
