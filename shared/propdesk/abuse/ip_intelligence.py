"""IP intelligence: what kind of network an address belongs to (residential, mobile, hosting: data centres,
VPN and proxy exits) and its ASN, for the shared-identity graph, which weighs a shared address by it (a VPN
exit or a carrier's NAT address is shared by strangers; a home address is not: `propdesk.abuse.links`).

`IpIntelligence` is the port; `CidrIntelligence` answers from a list of ranges (`cidr,network,asn,owner`
rows, the most specific range wins), such as the sample shipped beside this module
(`ip_ranges_sample.csv`: documentation ranges and a few illustrative hosting networks; a firm replaces it
with a licensed feed exported in the same format). No network calls; a lookup never raises: an address in no
range, or not an address at all, is `unknown`.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from importlib import resources
from typing import Protocol

from propdesk.abuse.inputs import Network
from propdesk.ip_prefixes import IpNetwork, PrefixTable

SAMPLE = "ip_ranges_sample.csv"
NETWORKS: tuple[Network, ...] = ("residential", "mobile", "hosting")


@dataclass(frozen=True, slots=True)
class IpVerdict:
    network: Network = "unknown"
    asn: int | None = None
    owner: str = ""


UNKNOWN = IpVerdict()


class IpIntelligence(Protocol):
    def lookup(self, address: str) -> IpVerdict:
        """What is known of the address (`UNKNOWN` when nothing is); never raises."""
        ...


class IpListError(ValueError):
    """A row of the list that cannot be read (its line number and why)."""


class CidrIntelligence:
    """Longest-prefix match over the ranges (`propdesk.ip_prefixes.PrefixTable`)."""

    def __init__(self, ranges: dict[IpNetwork, IpVerdict]) -> None:
        self._ranges = PrefixTable(ranges)

    @classmethod
    def parse(cls, text: str) -> CidrIntelligence:
        ranges: dict[IpNetwork, IpVerdict] = {}
        for number, line in enumerate(text.splitlines(), start=1):
            row = line.strip()
            if not row or row.startswith("#"):
                continue
            parts = [part.strip() for part in row.split(",", 3)]
            if len(parts) < 2:
                raise IpListError(f"line {number}: expected cidr,network[,asn[,owner]]")
            try:
                network = ipaddress.ip_network(parts[0], strict=True)
            except ValueError as error:
                raise IpListError(f"line {number}: {error}") from None
            kind = parts[1]
            if kind not in NETWORKS:
                raise IpListError(f"line {number}: network must be one of {', '.join(NETWORKS)}")
            asn = parts[2] if len(parts) > 2 else ""
            if asn and not asn.isdigit():
                raise IpListError(f"line {number}: the ASN must be a number")
            owner = parts[3] if len(parts) > 3 else ""
            ranges[network] = IpVerdict(kind, int(asn) if asn else None, owner)
        return cls(ranges)

    @classmethod
    def sample(cls) -> CidrIntelligence:
        """The sample list shipped with the package (see the module's docstring)."""
        return cls.parse(resources.files(__package__).joinpath(SAMPLE).read_text(encoding="utf-8"))

    def lookup(self, address: str) -> IpVerdict:
        return self._ranges.lookup(address) or UNKNOWN
