"""The purchase path in the template: its routes and functions, the provisioning queue fed by the bus, the
daily reconciliation, least-privilege secret reads, and provider base URLs taken from CDK context."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import pytest
from aws_cdk.assertions import Match
from propdesk.adapters.geolite2 import BLOCKS, LOCATIONS, GeoDatabaseError

from infra.constructs.purchases import PROVISIONING_CONCURRENCY, PROVISIONING_DETAIL_TYPES
from tests.infrastructure.conftest import FRAUD_COUNTRIES, Synthesized, statement_actions, synthesize

pytestmark = pytest.mark.infra

SECRET_READERS = {
    "Stripe": {"orders_api", "stripe_webhook", "reconciliation"},
    "CoinbaseCommerce": {"orders_api", "crypto_webhook", "reconciliation"},
    # enforcement on the platforms (infra/constructs/platforms.py), the progression opening accounts and the
    # payouts' withdrawal read it too
    "MatchTrader": {
        "provisioning",
        "platform_commands",
        "platform_drift",
        "platform_reconciliation",
        "platform_polling",
        "progression_open",
        "payout_steps",
        "payout_webhooks",  # a return after paid is put back on the platform account
        "scaling_growth",  # a scaled account's balance is topped up on its platform
        # an abuse denial puts back a payout's withdrawal in doubt (propdesk.payouts.put_back)
        "abuse_detect",
        "abuse_deep_pass",
        "abuse_api",
        "abuse_outbox_sweep",
    },
}


def _secret_id(synthesized: Synthesized, name: str) -> str:
    return next(
        logical_id
        for logical_id in synthesized.of_type("AWS::SecretsManager::Secret")
        if logical_id.startswith(f"Secrets{name}")
    )


def _reads_secret(synthesized: Synthesized, function: str, secret_id: str) -> bool:
    for statement in synthesized.function_statements(function):
        resources = statement["Resource"]
        resources = resources if isinstance(resources, list) else [resources]
        if (
            "secretsmanager:GetSecretValue" in statement_actions(statement)
            and {"Ref": secret_id} in resources
        ):
            return True
    return False


def test_each_purchase_function_reads_only_its_providers_secret(synthesized: Synthesized) -> None:
    for secret, readers in SECRET_READERS.items():
        secret_id = _secret_id(synthesized, secret)
        found = {name for name in synthesized.functions() if _reads_secret(synthesized, name, secret_id)}
        assert found == readers, secret


def test_paid_refunded_and_disputed_purchases_reach_provisioning_through_a_queue(
    synthesized: Synthesized,
) -> None:
    rules = [
        r["Properties"]
        for r in synthesized.of_type("AWS::Events::Rule").values()
        if r["Properties"].get("EventPattern", {}).get("detail-type") == list(PROVISIONING_DETAIL_TYPES)
    ]
    (rule,) = rules
    assert rule["EventPattern"]["source"] == ["propdesk"]
    (target,) = rule["Targets"]
    assert target["RetryPolicy"] == {"MaximumEventAgeInSeconds": 86400, "MaximumRetryAttempts": 8}
    assert "DeadLetterConfig" in target
    queue_id = target["Arn"]["Fn::GetAtt"][0]
    queue = synthesized.resources[queue_id]["Properties"]
    assert queue["VisibilityTimeout"] == 360  # six times the function's timeout
    assert queue["RedrivePolicy"]["maxReceiveCount"] == 5
    assert (
        queue["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0] in synthesized.dead_letter_queue_ids()
    )
    synthesized.template.has_resource_properties(
        "AWS::Lambda::EventSourceMapping",
        {
            "EventSourceArn": {"Fn::GetAtt": [queue_id, "Arn"]},
            "FunctionName": {"Ref": synthesized.function_id("provisioning")},
            "FunctionResponseTypes": ["ReportBatchItemFailures"],
            "ScalingConfig": {"MaximumConcurrency": PROVISIONING_CONCURRENCY},
        },
    )


def test_provisioning_concurrency_keeps_the_platform_under_its_rate_limit(synthesized: Synthesized) -> None:
    _, properties = synthesized.functions()["provisioning"]
    assert properties["ReservedConcurrentExecutions"] == PROVISIONING_CONCURRENCY
    per_instance = int(properties["Environment"]["Variables"]["PLATFORM_REQUESTS_PER_MINUTE"])
    assert per_instance * PROVISIONING_CONCURRENCY <= 500


def test_reconciliation_runs_daily_with_retries_and_a_dead_letter_queue(synthesized: Synthesized) -> None:
    synthesized.template.has_resource_properties(
        "AWS::Events::Rule",
        {
            "ScheduleExpression": "cron(15 0 * * ? *)",
            "Targets": [
                Match.object_like(
                    {
                        "Arn": {"Fn::GetAtt": [synthesized.function_id("reconciliation"), "Arn"]},
                        "RetryPolicy": {"MaximumEventAgeInSeconds": 7200, "MaximumRetryAttempts": 2},
                        "DeadLetterConfig": Match.any_value(),
                    }
                )
            ],
        },
    )


def test_every_purchase_dead_letter_queue_is_alarmed(synthesized: Synthesized) -> None:
    alarms = json.dumps(synthesized.of_type("AWS::CloudWatch::Alarm"))
    for logical_id, queue in synthesized.of_type("AWS::SQS::Queue").items():
        if logical_id.startswith("Purchases") and "Dlq" in logical_id:
            assert logical_id in alarms, queue["Properties"]["QueueName"]


def test_the_webhooks_are_open_routes_and_orders_need_a_token(synthesized: Synthesized) -> None:
    methods = synthesized.of_type("AWS::ApiGateway::Method")
    by_function: dict[str, set[str]] = {}
    for method in methods.values():
        uri = json.dumps(method["Properties"]["Integration"]["Uri"])
        for name in ("orders_api", "stripe_webhook", "crypto_webhook"):
            if f'"{synthesized.function_id(name)}"' in uri:
                by_function.setdefault(name, set()).add(method["Properties"]["AuthorizationType"])
    assert by_function == {
        "orders_api": {"COGNITO_USER_POOLS"},
        "stripe_webhook": {"NONE"},
        "crypto_webhook": {"NONE"},
    }


def test_provider_base_urls_come_from_cdk_context(synthesized_local: Synthesized) -> None:
    # synthesized with LOCAL_PROVIDER_URLS as CDK context (the session's local synth: one synth less)
    assert synthesized_local.context["stripe_api_base"] == "http://127.0.0.1:12111"
    assert synthesized_local.context["coinbase_api_base"] == "http://127.0.0.1:12112"
    assert synthesized_local.context["match_trader_base_url"] == "http://127.0.0.1:12113"
    variables = {
        props["Handler"].split(".")[1]: props["Environment"]["Variables"]
        for props in (r["Properties"] for r in synthesized_local.of_type("AWS::Lambda::Function").values())
    }
    assert variables["orders_api"]["STRIPE_API_BASE"] == "http://127.0.0.1:12111"
    assert variables["stripe_webhook"]["STRIPE_API_BASE"] == "http://127.0.0.1:12111"
    assert variables["crypto_webhook"]["COINBASE_API_BASE"] == "http://127.0.0.1:12112"
    assert variables["provisioning"]["MATCH_TRADER_BASE_URL"] == "http://127.0.0.1:12113"


def test_personal_data_retention_runs_daily_with_retries_a_dead_letter_queue_and_only_table_access(
    synthesized: Synthesized,
) -> None:
    function_id = synthesized.function_id("personal_data_retention")
    synthesized.template.has_resource_properties(
        "AWS::Events::Rule",
        {
            "ScheduleExpression": "cron(30 2 * * ? *)",
            "Targets": [
                Match.object_like(
                    {
                        "Arn": {"Fn::GetAtt": [function_id, "Arn"]},
                        "RetryPolicy": {"MaximumEventAgeInSeconds": 21600, "MaximumRetryAttempts": 2},
                        "DeadLetterConfig": Match.any_value(),
                    }
                )
            ],
        },
    )
    variables = synthesized.of_type("AWS::Lambda::Function")[function_id]["Properties"]["Environment"][
        "Variables"
    ]
    assert variables["PERSONAL_DATA_RETENTION_DAYS"] == "365"
    actions = synthesized.function_actions("personal_data_retention")
    assert {"dynamodb:Query", "dynamodb:UpdateItem"} <= actions
    assert not {action for action in actions if action.startswith(("secretsmanager:", "events:", "cognito"))}


def test_the_firms_card_country_rules_reach_the_stripe_webhook_only_when_set(
    synthesized: Synthesized, synthesized_local: Synthesized
) -> None:
    def environment(stack: Synthesized) -> dict[str, object]:
        _, function = stack.functions()["stripe_webhook"]
        variables: dict[str, object] = function["Environment"]["Variables"]
        return variables

    assert "FRAUD_COUNTRIES" not in environment(synthesized)
    assert environment(synthesized_local)["FRAUD_COUNTRIES"] == FRAUD_COUNTRIES


@pytest.fixture(scope="module")
def with_geolocation(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    """The stack with the firm's GeoLite2 Country files (here: copies of the shipped sample)."""
    files = tmp_path_factory.mktemp("geolite2")
    sample = resources.files("propdesk.adapters").joinpath("geolite2_sample")
    for name in (*BLOCKS, LOCATIONS):
        (files / name).write_text(sample.joinpath(name).read_text(encoding="utf-8"))
    return synthesize(tmp_path_factory.mktemp("synth-geo"), ip_countries_directory=str(files))


def test_checkout_geolocates_with_the_sample_locally_and_with_the_firms_files_as_a_layer(
    synthesized: Synthesized, synthesized_local: Synthesized, with_geolocation: Synthesized
) -> None:
    def orders_api(stack: Synthesized) -> dict[str, Any]:
        properties: dict[str, Any] = stack.functions()["orders_api"][1]
        return properties

    assert "IP_COUNTRIES_DIRECTORY" not in orders_api(synthesized)["Environment"]["Variables"]
    assert orders_api(synthesized_local)["Environment"]["Variables"]["IP_COUNTRIES_DIRECTORY"] == "sample"

    firms = orders_api(with_geolocation)
    assert firms["Environment"]["Variables"]["IP_COUNTRIES_DIRECTORY"] == "/opt"
    (layer_id,) = [
        logical_id
        for logical_id, resource in with_geolocation.of_type("AWS::Lambda::LayerVersion").items()
        if "GeoLite2" in resource["Properties"].get("Description", "")
    ]
    assert {"Ref": layer_id} in firms["Layers"]
    others = [p for name, (_, p) in with_geolocation.functions().items() if name != "orders_api"]
    assert all({"Ref": layer_id} not in p["Layers"] for p in others)


def test_a_geolocation_directory_that_cannot_be_read_fails_the_synthesis(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    empty = tmp_path_factory.mktemp("no-database")
    with pytest.raises(GeoDatabaseError, match=LOCATIONS):
        synthesize(tmp_path_factory.mktemp("synth-bad-geo"), ip_countries_directory=str(empty))
