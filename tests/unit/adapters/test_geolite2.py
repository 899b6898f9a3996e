from pathlib import Path

import pytest
from propdesk.adapters.geolite2 import BLOCKS, LOCATIONS, GeoDatabaseError, GeoLite2Countries

LOCATIONS_CSV = (
    "geoname_id,locale_code,continent_code,continent_name,country_iso_code,country_name,is_in_european_union\n"
    "2635167,en,EU,Europe,GB,United Kingdom,0\n"
    "2921044,en,EU,Europe,DE,Germany,1\n"
    "6255148,en,EU,Europe,,,0\n"
)
HEADER = (
    "network,geoname_id,registered_country_geoname_id,represented_country_geoname_id,is_anonymous_proxy\n"
)


def database(ipv4_rows: str, ipv6_rows: str = "") -> GeoLite2Countries:
    return GeoLite2Countries.parse(
        LOCATIONS_CSV, {BLOCKS[0]: HEADER + ipv4_rows, BLOCKS[1]: HEADER + ipv6_rows}
    )


def test_the_most_specific_block_names_the_country() -> None:
    countries = database("192.0.2.0/24,2635167,2635167,,0\n192.0.2.128/25,2921044,2635167,,0\n")

    assert countries.country_of("192.0.2.1") == "GB"
    assert countries.country_of("192.0.2.200") == "DE"
    assert countries.country_of("::ffff:192.0.2.200") == "DE"  # an IPv4-mapped address is its IPv4 address


def test_a_block_without_a_location_falls_back_to_the_registered_country_and_a_continent_names_none() -> None:
    countries = database("198.51.100.0/25,,2635167,,1\n198.51.100.128/25,6255148,,,0\n")

    assert countries.country_of("198.51.100.7") == "GB"  # an anonymous proxy: where the range is registered
    assert countries.country_of("198.51.100.200") is None  # Europe is not a country


def test_ipv6_and_anything_unknown() -> None:
    countries = database("", "2001:db8::/32,2921044,2921044,,0\n")

    assert countries.country_of("2001:db8::1") == "DE"
    assert countries.country_of("10.0.0.1") is None
    assert countries.country_of("not an address") is None
    assert countries.country_of("") is None


def test_columns_are_read_by_name_so_new_ones_change_nothing() -> None:
    header = "is_satellite_provider,registered_country_geoname_id,network,geoname_id,is_anycast\n"
    countries = GeoLite2Countries.parse(LOCATIONS_CSV, {BLOCKS[0]: header + "0,,192.0.2.0/24,2921044,\n"})

    assert countries.country_of("192.0.2.9") == "DE"


@pytest.mark.parametrize(
    ("blocks", "message"),
    [
        ("network,geoname_id\n192.0.2.0/24,2635167\n", "no column registered_country_geoname_id"),
        (HEADER + "192.0.2.1/24,2635167,,,0\n", "line 2"),  # host bits set: not a network
    ],
)
def test_a_file_that_cannot_be_read_says_which_and_why(blocks: str, message: str) -> None:
    with pytest.raises(GeoDatabaseError, match=message):
        GeoLite2Countries.parse(LOCATIONS_CSV, {BLOCKS[0]: blocks})


def test_a_directory_needs_the_locations_and_at_least_one_blocks_file(tmp_path: Path) -> None:
    with pytest.raises(GeoDatabaseError, match=LOCATIONS):
        GeoLite2Countries.from_directory(str(tmp_path))
    (tmp_path / LOCATIONS).write_text(LOCATIONS_CSV)
    with pytest.raises(GeoDatabaseError, match="no GeoLite2"):
        GeoLite2Countries.from_directory(str(tmp_path))
    (tmp_path / BLOCKS[0]).write_text(HEADER + "192.0.2.0/24,2635167,2635167,,0\n")

    assert GeoLite2Countries.from_directory(str(tmp_path)).country_of("192.0.2.3") == "GB"


def test_the_shipped_sample_covers_the_documentation_ranges() -> None:
    sample = GeoLite2Countries.from_directory("sample")

    assert sample.country_of("203.0.113.7") == "AU"  # the sample API Gateway events' source address
    assert sample.country_of("198.51.100.1") == "US"
    assert sample.country_of("2001:db8::1") == "FR"
