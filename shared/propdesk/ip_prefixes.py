"""Longest-prefix match over IP ranges: one dictionary per prefix length, so a lookup costs at most 33 (IPv4)
or 129 (IPv6) dictionary reads whatever the number of ranges. Shared by IP intelligence (the kind of network)
and IP geolocation (the country)."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Generic, TypeVar

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
V = TypeVar("V")


def parse_address(text: str) -> IpAddress | None:
    """The address (an IPv4-mapped IPv6 address as its IPv4 address), or None when `text` is not one."""
    try:
        ip = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


class PrefixTable(Generic[V]):
    def __init__(self, ranges: Mapping[IpNetwork, V]) -> None:
        self._by_length: dict[tuple[int, int], dict[int, V]] = {}
        for network, value in ranges.items():
            table = self._by_length.setdefault((network.version, network.prefixlen), {})
            table[int(network.network_address)] = value
        self._lengths = sorted(self._by_length, key=lambda key: -key[1])

    def __len__(self) -> int:
        return sum(len(table) for table in self._by_length.values())

    def lookup(self, address: str) -> V | None:
        """The value of the most specific range holding `address`; None when none does or it is no address."""
        ip = parse_address(address)
        if ip is None:
            return None
        value, width = int(ip), ip.max_prefixlen
        for version, length in self._lengths:
            if version != ip.version:
                continue
            found = self._by_length[(version, length)].get(value >> (width - length) << (width - length))
            if found is not None:
                return found
        return None
