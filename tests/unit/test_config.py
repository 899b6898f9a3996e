"""Each function's settings, validated from the environment the stack gives it, naming what is missing."""

from __future__ import annotations

from decimal import Decimal

import pytest
from propdesk.config import (
    ConfigError,
    NotificationsSettings,
    RiskRecalcSettings,
    WsAuthorizerSettings,
    WsDefaultSettings,
)


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


def test_the_websocket_token_keys_are_read_from_the_local_cloud_or_the_pools_issuer() -> None:
    base = {"USER_POOL_ID": "us-east-1_abc", "USER_POOL_CLIENT_IDS": "c1, c2,"}
    local = WsAuthorizerSettings.from_env({**base, "AWS_ENDPOINT_URL": "http://127.0.0.1:4566"})
    aws = WsAuthorizerSettings.from_env({**base, "AWS_REGION": "us-east-1"})

    assert local.issuer() == aws.issuer() == "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_abc"
    assert local.jwks_url() == "http://127.0.0.1:4566/us-east-1_abc/.well-known/jwks.json"
    assert aws.jwks_url() == "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_abc/.well-known/jwks.json"
    assert aws.client_ids() == frozenset({"c1", "c2"})
