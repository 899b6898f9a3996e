"""Pure edges shared by the handlers: settings, error bodies, identity, event catalogue."""

from __future__ import annotations

from decimal import Decimal
from http import HTTPStatus

import pytest
from propdesk.catalogue import demo_programs
from propdesk.config import (
    ConfigError,
    NotificationsSettings,
    RiskRecalcSettings,
    WsAuthorizerSettings,
    WsDefaultSettings,
)
from propdesk.domain_events import CATALOGUE, SOURCE, Envelope, json_schemas, parse, stable_id
from propdesk.engine import Program
from propdesk.errors import (
    InvalidInputError,
    MalformedRequestError,
    NotFoundError,
    UnauthorizedError,
)
from propdesk.http.error_format import field_path
from propdesk.http.errors import domain_error_response
from propdesk.http.identity import parse_groups
from pydantic import ValidationError


def test_settings_are_validated_from_the_environment_naming_what_is_missing() -> None:
    settings = RiskRecalcSettings.from_env(
        {"TABLE_NAME": "t", "EVENT_BUS_NAME": "b", "WARNING_SHARE": "0.75"}
    )
    assert settings.warning_share == Decimal("0.75")
    with pytest.raises(ConfigError, match="EVENT_BUS_NAME"):
        RiskRecalcSettings.from_env({"TABLE_NAME": "t"})
    with pytest.raises(ConfigError, match="WARNING_SHARE"):
        RiskRecalcSettings.from_env({"TABLE_NAME": "t", "EVENT_BUS_NAME": "b", "WARNING_SHARE": "1.5"})


def test_the_websocket_management_endpoint_follows_the_local_cloud_or_aws() -> None:
    base = {"CONNECTIONS_TABLE_NAME": "c", "WEBSOCKET_API_ID": "abc", "WEBSOCKET_STAGE": "dev"}
    local = WsDefaultSettings.from_env(
        {**base, "TABLE_NAME": "t", "REALTIME_TABLE_NAME": "r", "AWS_ENDPOINT_URL": "http://127.0.0.1:4566/"}
    )
    aws = NotificationsSettings.from_env({**base, "TABLE_NAME": "t", "AWS_REGION": "eu-central-1"})
    assert local.management_endpoint() == "http://127.0.0.1:4566/_aws/execute-api/abc/dev"
    assert aws.management_endpoint() == "https://abc.execute-api.eu-central-1.amazonaws.com/dev"


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (NotFoundError("no such account", "account_id"), HTTPStatus.NOT_FOUND),
        (InvalidInputError("bad", "events[0].time"), HTTPStatus.UNPROCESSABLE_ENTITY),
        (MalformedRequestError("not JSON", "body"), HTTPStatus.BAD_REQUEST),
        (UnauthorizedError("bad signature"), HTTPStatus.UNAUTHORIZED),
    ],
)
def test_domain_errors_map_to_statuses_with_the_json_error_body(error: Exception, status: HTTPStatus) -> None:
    response = domain_error_response(error)  # type: ignore[arg-type]
    assert response.status_code == status.value
    assert response.body["error"]["code"] == error.code  # type: ignore[attr-defined, index]


def test_field_paths_read_like_the_json() -> None:
    assert field_path(("body", "events", 3, "profit")) == "events[3].profit"
    assert field_path(("query", "limit")) == "limit"
    assert field_path(("account_id",)) == "account_id"


def test_cognito_groups_are_read_however_api_gateway_flattens_them() -> None:
    assert parse_groups("trader") == {"trader"}
    assert parse_groups("[support trader]") == {"support", "trader"}
    assert parse_groups("risk,admin") == {"risk", "admin"}
    assert parse_groups(None) == frozenset()


def test_every_catalogued_event_has_source_schema_and_round_trips() -> None:
    schemas = json_schemas()
    expected = {"account.breached", "account.passed", "account.warning", "kyc.approved", "kyc.declined"}
    assert set(schemas) == set(CATALOGUE) >= expected | {"trading_event.recorded"}
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


def test_every_demo_program_is_a_valid_engine_program_priced_in_three_currencies() -> None:
    programs = demo_programs()
    assert len(programs) >= 4
    for program in programs:
        parsed = Program.from_dict(program.document)
        assert parsed.initial_balance == program.summary.initial_balance
        assert set(program.summary.prices) == {"USD", "EUR", "GBP"}
        assert all(isinstance(price, Decimal) for price in program.summary.prices.values())


def test_the_websocket_token_keys_are_read_from_the_local_cloud_or_the_pools_issuer() -> None:
    base = {"USER_POOL_ID": "us-east-1_abc", "USER_POOL_CLIENT_IDS": "c1, c2,"}
    local = WsAuthorizerSettings.from_env({**base, "AWS_ENDPOINT_URL": "http://127.0.0.1:4566"})
    aws = WsAuthorizerSettings.from_env({**base, "AWS_REGION": "us-east-1"})

    assert local.issuer() == aws.issuer() == "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_abc"
    assert local.jwks_url() == "http://127.0.0.1:4566/us-east-1_abc/.well-known/jwks.json"
    assert aws.jwks_url() == "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_abc/.well-known/jwks.json"
    assert aws.client_ids() == frozenset({"c1", "c2"})
