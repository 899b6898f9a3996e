"""The breach store names overridden breaches as the engine does (no storage key leaves the data layer)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st
from propdesk.data import keys
from propdesk.data.risk import breach_ref
from propdesk.engine import BreachRef, instant_id

moments = st.datetimes(
    min_value=datetime(2000, 1, 1),  # noqa: DTZ001 - hypothesis bounds are naive by definition
    max_value=datetime(2100, 1, 1),  # noqa: DTZ001
    timezones=st.just(UTC),
)
identities = st.sampled_from(["", "0-e2", "1-day_boundary", "3-deal#42-1"])


@given(moments, st.sampled_from(["daily_loss", "max_loss", "news"]), identities)
def test_a_stored_breach_key_reads_back_as_the_engines_name(
    moment: datetime, rule: str, identity: str
) -> None:
    assert breach_ref(keys.breach_sk(moment, rule, identity)) == BreachRef(moment, rule, identity)


def test_a_key_written_before_identities_names_the_first_breach_of_its_rule_and_instant() -> None:
    at = datetime(2026, 3, 2, 9, 5, tzinfo=UTC)
    assert breach_ref("BREACH#2026-03-02T09:05:00.000000Z#daily_loss") == BreachRef(at, "daily_loss", "")


@given(moments, st.integers(min_value=-12, max_value=14))
def test_breach_ids_write_instants_as_the_table_keys_do(moment: datetime, hours: int) -> None:
    """Stable ids built before the service stopped reading storage keys stay the same."""
    shifted = moment.astimezone(timezone(timedelta(hours=hours)))
    assert instant_id(shifted) == keys.key_time(moment)
