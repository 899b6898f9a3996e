"""The event catalogue: every detail type has its source and schema and round-trips; stable ids."""

from __future__ import annotations

import pytest
from propdesk.domain_events import CATALOGUE, SOURCE, Envelope, json_schemas, parse, stable_id
from pydantic import ValidationError


def test_every_catalogued_event_has_source_schema_and_round_trips() -> None:
    schemas = json_schemas()
    expected = {"account.breached", "account.passed", "account.warning", "kyc.approved", "kyc.declined"}
    assert set(schemas) == set(CATALOGUE) >= expected
    assert SOURCE == "propdesk"
    detail = {"event_id": "e", "occurred_at": "2026-03-02T10:00:00Z", "trader_id": "t", "account_id": "a"}
    envelope = Envelope.model_validate(
        {
            "id": "1",
            "source": "propdesk",
            "detail-type": "kyc.approved",
            "time": "2026-03-02T10:00:00Z",
            "detail": detail,
        }
    )
    event = parse(envelope.detail_type, envelope.detail)
    assert parse(event.detail_type, event.model_dump(mode="json")) == event
    with pytest.raises(ValidationError):
        parse("kyc.approved", {"event_id": "e"})


def test_stable_ids_depend_only_on_the_fact() -> None:
    assert stable_id("breached", "a1", 0, "t") == stable_id("breached", "a1", 0, "t")
    assert stable_id("breached", "a1", 0, "t") != stable_id("breached", "a1", 1, "t")
