"""IP geolocation from MaxMind's GeoLite2 (or GeoIP2) Country database in its CSV layout: the checkout's
`IpCountries` port (`propdesk.purchases.ports`).

A directory holds the blocks files (`GeoLite2-Country-Blocks-IPv4.csv`, `...-IPv6.csv`: `network`,
`geoname_id`, `registered_country_geoname_id`, ...) and the locations file
(`GeoLite2-Country-Locations-en.csv`: `geoname_id`, ..., `country_iso_code`). A block's country is its
`geoname_id`'s; a block without one (MaxMind leaves anonymous proxies and some satellite ranges empty) falls
back to the country where the range is registered. A geoname that is a continent gives no country. Columns are
read by name, so columns MaxMind adds later change nothing. Everything is loaded once into a longest-prefix
table; a lookup never raises.
"""

from __future__ import annotations

import csv
import io
import ipaddress
from collections.abc import Iterable
from importlib import resources
from pathlib import Path

from propdesk.ip_prefixes import IpNetwork, PrefixTable

BLOCKS = ("GeoLite2-Country-Blocks-IPv4.csv", "GeoLite2-Country-Blocks-IPv6.csv")
LOCATIONS = "GeoLite2-Country-Locations-en.csv"
SAMPLE = "sample"  # the setting's value naming the sample shipped beside this module
SAMPLE_PACKAGE = "geolite2_sample"


class GeoDatabaseError(ValueError):
    """A file of the database that cannot be read (which file, which line, why)."""


class GeoLite2Countries:
    def __init__(self, ranges: dict[IpNetwork, str]) -> None:
        self._ranges = PrefixTable(ranges)

    def __len__(self) -> int:
        return len(self._ranges)

    def country_of(self, ip: str) -> str | None:
        return self._ranges.lookup(ip)

    @classmethod
    def from_directory(cls, directory: str) -> GeoLite2Countries:
        """The files in `directory`, or the shipped sample when `directory` is `sample`. A missing blocks file
        (a database with IPv4 only) is allowed; a missing locations file is not."""
        if directory == SAMPLE:
            folder = resources.files(__package__).joinpath(SAMPLE_PACKAGE)
            locations = folder.joinpath(LOCATIONS).read_text(encoding="utf-8")
            blocks = {name: folder.joinpath(name).read_text(encoding="utf-8") for name in BLOCKS}
            return cls.parse(locations, blocks)
        path = Path(directory)
        if not (path / LOCATIONS).is_file():
            raise GeoDatabaseError(f"{path / LOCATIONS}: not found")
        present = {
            name: (path / name).read_text(encoding="utf-8") for name in BLOCKS if (path / name).is_file()
        }
        if not present:
            raise GeoDatabaseError(f"{path}: no {' or '.join(BLOCKS)}")
        return cls.parse((path / LOCATIONS).read_text(encoding="utf-8"), present)

    @classmethod
    def parse(cls, locations: str, blocks: dict[str, str]) -> GeoLite2Countries:
        countries = _countries(locations)
        ranges: dict[IpNetwork, str] = {}
        for name, text in blocks.items():
            for line, row in _rows(name, text, ("network", "geoname_id", "registered_country_geoname_id")):
                try:
                    network = ipaddress.ip_network(row["network"], strict=True)
                except ValueError as error:
                    raise GeoDatabaseError(f"{name} line {line}: {error}") from None
                country = countries.get(row["geoname_id"]) or countries.get(
                    row["registered_country_geoname_id"]
                )
                if country:
                    ranges[network] = country
        return cls(ranges)


def _countries(text: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for line, row in _rows(LOCATIONS, text, ("geoname_id", "country_iso_code")):
        code = (row["country_iso_code"] or "").strip().upper()
        if code and (len(code) != 2 or not code.isalpha()):
            raise GeoDatabaseError(f"{LOCATIONS} line {line}: {code!r} is not an ISO 3166-1 alpha-2 code")
        if code:
            found[row["geoname_id"]] = code
    return found


def _rows(name: str, text: str, needed: Iterable[str]) -> Iterable[tuple[int, dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(text))
    missing = [column for column in needed if column not in (reader.fieldnames or ())]
    if missing:
        raise GeoDatabaseError(f"{name}: no column {', '.join(missing)}")
    for row in reader:
        yield reader.line_num, {key: (value or "").strip() for key, value in row.items() if key}
