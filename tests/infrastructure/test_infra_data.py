"""The tables: keys as in docs/data-model.md, and the stream, PITR and KMS encryption the local cloud silently
drops (so this is where they are proven). Data survives a prod stack's deletion."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import App, Stack
from aws_cdk.assertions import Match, Template

from infra.config import load_config
from infra.constructs.data import Data
from infra.constructs.functions import FunctionFactory
from infra.constructs.identity import Identity
from tests.infrastructure.conftest import Synthesized, project_context

pytestmark = pytest.mark.infra


def _table_with_key(synthesized: Synthesized, attribute: str) -> dict[str, Any]:
    """The one table keyed by `attribute` (for `pk`: the main table, streamed with its images, not the
    realtime or audit table)."""
    tables = [
        table["Properties"]
        for table in synthesized.of_type("AWS::DynamoDB::Table").values()
        if table["Properties"]["KeySchema"][0]["AttributeName"] == attribute
        and (
            attribute != "pk"
            or table["Properties"].get("StreamSpecification", {}).get("StreamViewType")
            == "NEW_AND_OLD_IMAGES"
        )
    ]
    assert len(tables) == 1
    table: dict[str, Any] = tables[0]
    return table


def test_main_table_keys_and_indexes_follow_the_data_model(synthesized: Synthesized) -> None:
    table = _table_with_key(synthesized, "pk")

    assert table["KeySchema"] == [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ]
    indexes = {index["IndexName"]: index for index in table["GlobalSecondaryIndexes"]}
    assert {name: index["KeySchema"] for name, index in indexes.items()} == {
        name: [
            {"AttributeName": f"{name}_pk" if name == "outbox" else f"{name}pk", "KeyType": "HASH"},
            {"AttributeName": f"{name}_sk" if name == "outbox" else f"{name}sk", "KeyType": "RANGE"},
        ]
        for name in ("gsi1", "gsi2", "outbox")
    }
    assert indexes["gsi2"]["Projection"] == {"ProjectionType": "ALL"}
    # the risk snapshots with pending effects (sparse): their keys and write time, not the large snapshot
    assert indexes["outbox"]["Projection"] == {
        "ProjectionType": "INCLUDE",
        "NonKeyAttributes": ["updated_at"],
    }
    assert table["BillingMode"] == "PAY_PER_REQUEST"


def test_main_table_streams_new_and_old_images(synthesized: Synthesized) -> None:
    table = _table_with_key(synthesized, "pk")

    assert table["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}


def test_main_table_has_point_in_time_recovery(synthesized: Synthesized) -> None:
    table = _table_with_key(synthesized, "pk")

    assert table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True


def test_main_table_is_encrypted_with_a_rotating_customer_managed_key(synthesized: Synthesized) -> None:
    table = _table_with_key(synthesized, "pk")
    key_id = table["SSESpecification"]["KMSMasterKeyId"]["Fn::GetAtt"][0]

    assert table["SSESpecification"]["SSEEnabled"] is True
    assert table["SSESpecification"]["SSEType"] == "KMS"
    assert synthesized.resources[key_id]["Type"] == "AWS::KMS::Key"
    assert synthesized.resources[key_id]["Properties"]["EnableKeyRotation"] is True


def test_connections_table_expires_connections_and_finds_them_by_trader(synthesized: Synthesized) -> None:
    table = _table_with_key(synthesized, "connection_id")

    assert table["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert table["GlobalSecondaryIndexes"][0]["IndexName"] == "by_trader"
    assert table["GlobalSecondaryIndexes"][0]["KeySchema"] == [
        {"AttributeName": "trader_id", "KeyType": "HASH"}
    ]


def test_dev_tables_are_deleted_with_the_stack(synthesized: Synthesized) -> None:
    for table in synthesized.of_type("AWS::DynamoDB::Table").values():
        assert table["DeletionPolicy"] == "Delete"


@pytest.fixture(scope="module")
def prod_data_and_identity(tmp_path_factory: pytest.TempPathFactory) -> Template:
    """Only the data and identity constructs under prod settings: what prod keeps is decided there."""
    context = {**project_context(), "stage": "prod", "layer_dir": str(tmp_path_factory.mktemp("layer"))}
    app = App(context=context)
    stack = Stack(app, "ProdData")
    config = load_config(app.node.try_get_context)
    Data(stack, "Data", config)
    Identity(stack, "Identity", config, FunctionFactory(stack, config))
    return Template.from_stack(stack)


def test_prod_keeps_tables_keys_and_users_when_the_stack_goes(prod_data_and_identity: Template) -> None:
    for resource_type in ("AWS::DynamoDB::Table", "AWS::KMS::Key", "AWS::Cognito::UserPool"):
        resources = prod_data_and_identity.find_resources(resource_type)
        assert resources
        for resource in resources.values():
            assert resource["DeletionPolicy"] == "Retain", resource_type
            assert resource["UpdateReplacePolicy"] == "Retain", resource_type


def test_prod_tables_and_user_pool_have_deletion_protection(prod_data_and_identity: Template) -> None:
    prod_data_and_identity.all_resources_properties(
        "AWS::DynamoDB::Table", {"DeletionProtectionEnabled": True}
    )
    prod_data_and_identity.has_resource_properties(
        "AWS::Cognito::UserPool",
        {"DeletionProtection": "ACTIVE", "UserPoolName": Match.string_like_regexp("prod")},
    )


def test_the_realtime_table_expires_subscriptions_and_kept_updates(synthesized: Synthesized) -> None:
    [table] = [
        table["Properties"]
        for table in synthesized.of_type("AWS::DynamoDB::Table").values()
        if table["Properties"]["KeySchema"][0]["AttributeName"] == "pk"
        and "StreamSpecification" not in table["Properties"]
    ]

    assert table["KeySchema"] == [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ]
    assert table["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    assert table["SSESpecification"]["SSEEnabled"] is True
