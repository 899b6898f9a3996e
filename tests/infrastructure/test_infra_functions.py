"""Every Lambda function: ARM64, Python 3.13, explicit limits, tracing, its own log group and the Powertools
settings."""

from __future__ import annotations

import pytest

from tests.infrastructure.conftest import Synthesized

pytestmark = pytest.mark.infra

# The functions the issue asks for, with the settings each reads from its environment.
EXPECTED_BEFORE_SIGNALS = {
    "payouts_api": {
        "TABLE_NAME", "EVENT_BUS_NAME", "AUDIT_TABLE_NAME", "PAYOUT_AUTO_APPROVE_BELOW",
        "PAYOUT_TWO_PERSON_ABOVE", "USER_POOL_ID", "STAFF_MFA_REQUIRED",
    },
    "auth_api": {"TABLE_NAME", "USER_POOL_ID", "USER_POOL_CLIENT_ID"},
    "kyc_webhook": {"TABLE_NAME", "EVENT_BUS_NAME", "KYC_PROVIDER", "KYC_SECRET_ARN", "KYC_API_BASE",
                    "KYC_RETURN_URL", "KYC_MAX_ATTEMPTS", "KYC_DECISION_WINDOW_DAYS"},
    "stripe_webhook": {"TABLE_NAME", "EVENT_BUS_NAME", "STRIPE_SECRET_ARN", "STRIPE_API_BASE",
                       "COINBASE_SECRET_ARN", "COINBASE_API_BASE"},
}  # fmt: skip
EXPECTED_ENVIRONMENT = {
    "catalogue_api": {"TABLE_NAME"},
    "accounts_api": {"TABLE_NAME"},
    # Finance's and admin's actions ask the pool whether the caller signs in with MFA.
    "staff_api": {"TABLE_NAME", "USER_POOL_ID", "AUDIT_TABLE_NAME", "STAFF_MFA_REQUIRED"},
    "payout_scaling": {"TABLE_NAME", "EVENT_BUS_NAME", "AUDIT_TABLE_NAME"},
    # a scaled account grows on whichever platform it lives on (infra/constructs/scaling.py)
    "scaling_growth": {"TABLE_NAME", "EVENT_BUS_NAME", "AUDIT_TABLE_NAME", "PLATFORM_CONNECTIONS"},
    "auth_api": {"TABLE_NAME", "USER_POOL_ID", "USER_POOL_CLIENT_ID"},
    "pre_sign_up": set(),
    "api_docs": set(),
    "stream_projections": {
        "TABLE_NAME", "CONNECTIONS_TABLE_NAME", "REALTIME_TABLE_NAME", "WEBSOCKET_API_ID", "WEBSOCKET_STAGE",
        "AUDIT_TABLE_NAME",
    },
    "audit_watch": set(),
    "platform_events": {"TABLE_NAME", "PLATFORM_SIGNING_SECRET_ARNS"},
    "platform_reconciliation": {
        "TABLE_NAME", "EVENT_BUS_NAME", "MATCH_TRADER_SECRET_ARN", "MATCH_TRADER_SERVER",
        "PLATFORM_CONNECTIONS",
    },
    "platform_polling": {"TABLE_NAME", "EVENT_BUS_NAME", "PLATFORM_CONNECTIONS"},
    **{
        name: {"TABLE_NAME", "EVENT_BUS_NAME", "KYC_PROVIDER", "KYC_SECRET_ARN", "KYC_API_BASE",
               "KYC_RETURN_URL", "KYC_MAX_ATTEMPTS", "KYC_DECISION_WINDOW_DAYS"}
        for name in ("kyc_webhook", "kyc_api", "kyc_request")
    },
    "risk_recalc": {"TABLE_NAME", "EVENT_BUS_NAME", "WARNING_SHARE"},
    "daily_reset": {"TABLE_NAME", "EVENT_BUS_NAME"},
    "risk_outbox_sweep": {"TABLE_NAME", "EVENT_BUS_NAME"},
    "notifications": {"TABLE_NAME", "CONNECTIONS_TABLE_NAME", "WEBSOCKET_API_ID", "WEBSOCKET_STAGE"},
    "kyc_decision": {"TABLE_NAME", "EVENT_BUS_NAME", "KYC_MAX_ATTEMPTS", "KYC_DECISION_WINDOW_DAYS"},
    "ws_authorizer": {"USER_POOL_ID", "USER_POOL_CLIENT_IDS"},
    "ws_connect": {"CONNECTIONS_TABLE_NAME"},
    "ws_disconnect": {"CONNECTIONS_TABLE_NAME", "REALTIME_TABLE_NAME"},
    "ws_default": {
        "TABLE_NAME", "CONNECTIONS_TABLE_NAME", "REALTIME_TABLE_NAME", "WEBSOCKET_API_ID", "WEBSOCKET_STAGE",
    },
    **{
        name: {"TABLE_NAME", "EVENT_BUS_NAME", "STRIPE_SECRET_ARN", "STRIPE_API_BASE", "COINBASE_SECRET_ARN",
               "COINBASE_API_BASE"}
        for name in ("orders_api", "stripe_webhook", "crypto_webhook", "reconciliation")
    },
    "personal_data_retention": {"TABLE_NAME", "PERSONAL_DATA_RETENTION_DAYS"},
    "provisioning": {
        "TABLE_NAME", "EVENT_BUS_NAME", "MATCH_TRADER_SECRET_ARN", "MATCH_TRADER_SERVER",
        "PLATFORM_REQUESTS_PER_MINUTE", "MAIL_FROM", "FIRM_NAME",
    },
    **{name: {"TABLE_NAME", "EVENT_BUS_NAME"}
       for name in ("progression_start", "progression_review", "progression_finish")},
    "progression_open": {
        "TABLE_NAME", "EVENT_BUS_NAME", "MATCH_TRADER_SECRET_ARN", "MATCH_TRADER_SERVER",
        "PLATFORM_REQUESTS_PER_MINUTE", "MAIL_FROM", "FIRM_NAME",
    },
    "progression_api": {"TABLE_NAME", "AUDIT_TABLE_NAME", "EVENT_BUS_NAME"},
    # the functions that meet the trader record identity signals (infra/constructs/abuse_signals.py)
    **{
        name: EXPECTED_BEFORE_SIGNALS[name] | {"ABUSE_SIGNAL_KEY_SECRET_ID"}
        for name in ("auth_api", "kyc_webhook", "payouts_api", "stripe_webhook")
    },
    # the payout workflow's steps and the rails' webhooks (infra/constructs/payout_workflow.py)
    **{
        name: {"TABLE_NAME", "EVENT_BUS_NAME", "AUDIT_TABLE_NAME", "PAYOUT_AUTO_APPROVE_BELOW",
               "PAYOUT_TWO_PERSON_ABOVE",
               "MATCH_TRADER_SECRET_ARN", "BRIDGE_SECRET_ARN", "BRIDGE_API_BASE", "BRIDGE_CUSTOMER_ID",
               "BRIDGE_WALLET_ID", "WISE_SECRET_ARN", "WISE_API_BASE", "WISE_PROFILE_ID"}
        for name in ("payout_steps", "payout_webhooks")
    },
    # the abuse functions: the platform a denied payout's withdrawal in doubt is put back on
    "abuse_detect": {
        "TABLE_NAME", "EVENT_BUS_NAME", "ABUSE_STATE_TABLE_NAME", "ABUSE_THRESHOLDS", "ABUSE_ENFORCEMENT",
        "MATCH_TRADER_SECRET_ARN",
    },
    "abuse_deep_pass": {
        "TABLE_NAME", "EVENT_BUS_NAME", "ABUSE_THRESHOLDS", "ABUSE_ENFORCEMENT", "MATCH_TRADER_SECRET_ARN",
        "ABUSE_STATE_TABLE_NAME",
    },
    "abuse_api": {"TABLE_NAME", "EVENT_BUS_NAME", "MATCH_TRADER_SECRET_ARN"},
    "abuse_outbox_sweep": {"TABLE_NAME", "EVENT_BUS_NAME", "MATCH_TRADER_SECRET_ARN"},
    "platform_commands": {
        "TABLE_NAME", "EVENT_BUS_NAME", "PLATFORM_CONNECTIONS", "COMMANDS_QUEUE_URL", "ACCOUNT_LEASE_SECONDS",
    },
    "platform_drift": {"TABLE_NAME", "EVENT_BUS_NAME", "PLATFORM_CONNECTIONS"},
    "mailer": {"TABLE_NAME", "USER_POOL_ID", "MAIL_FROM", "FIRM_NAME"},
    "firm_alerts": {"TABLE_NAME"},
    "alerts_api": {"TABLE_NAME"},
}  # fmt: skip
EXPECTED_ENVIRONMENT["orders_api"] = EXPECTED_ENVIRONMENT["orders_api"] | {
    "USER_POOL_ID",
    "STAFF_MFA_REQUIRED",
    "CHECKOUT_SUCCESS_URL",
    "CHECKOUT_CANCEL_URL",
    "AUDIT_TABLE_NAME",
}
for _appender in (
    "kyc_api", "platform_commands", "abuse_api", "abuse_detect", "abuse_deep_pass", "abuse_outbox_sweep",
):  # fmt: skip
    EXPECTED_ENVIRONMENT[_appender] = EXPECTED_ENVIRONMENT[_appender] | {"AUDIT_TABLE_NAME"}
# A daily batch replays a week of every active account's fills: Lambda's longest run, not an API's; the
# scaling plan's daily reviews read every active account (5 minutes).
LONGEST_RUN = {"abuse_deep_pass": 900, "payout_scaling": 300}
POWERTOOLS = {
    "POWERTOOLS_SERVICE_NAME", "POWERTOOLS_METRICS_NAMESPACE", "POWERTOOLS_LOG_LEVEL", "STAGE",
    "AWS_SDK_UA_APP_ID",
}  # fmt: skip


def test_the_stack_has_exactly_the_expected_functions(synthesized: Synthesized) -> None:
    assert set(synthesized.functions()) == set(EXPECTED_ENVIRONMENT)


@pytest.mark.parametrize("name", sorted(EXPECTED_ENVIRONMENT))
def test_function_runs_python_3_13_on_arm64_with_explicit_limits_and_tracing(
    synthesized: Synthesized, name: str
) -> None:
    _, properties = synthesized.functions()[name]

    assert properties["Runtime"] == "python3.13"
    assert properties["Architectures"] == ["arm64"]
    assert properties["Handler"] == f"functions.{name}.handler.handler"
    assert 3 < properties["Timeout"] <= LONGEST_RUN.get(name, 120)
    assert properties["MemorySize"] in {256, 512, 1024}
    assert properties["TracingConfig"] == {"Mode": "Active"}
    assert len(properties["Layers"]) == 1


@pytest.mark.parametrize(("name", "settings"), sorted(EXPECTED_ENVIRONMENT.items()))
def test_function_gets_its_settings_and_the_powertools_ones(
    synthesized: Synthesized, name: str, settings: set[str]
) -> None:
    _, properties = synthesized.functions()[name]
    variables = properties["Environment"]["Variables"]

    assert set(variables) == settings | POWERTOOLS
    assert variables["POWERTOOLS_SERVICE_NAME"] == f"propdesk-{name}"
    assert variables["POWERTOOLS_METRICS_NAMESPACE"] == "propdesk"
    assert variables["POWERTOOLS_LOG_LEVEL"] == "DEBUG"  # dev; INFO in prod
    assert variables["STAGE"] == "dev"
    assert variables["AWS_SDK_UA_APP_ID"] == f"propdesk-{name}"  # names the function in every AWS call


def test_warning_share_is_a_decimal_string(synthesized: Synthesized) -> None:
    _, properties = synthesized.functions()["risk_recalc"]

    assert properties["Environment"]["Variables"]["WARNING_SHARE"] == "0.8"


@pytest.mark.parametrize("name", sorted(EXPECTED_ENVIRONMENT))
def test_function_logs_to_its_own_log_group_with_the_stage_retention(
    synthesized: Synthesized, name: str
) -> None:
    _, properties = synthesized.functions()[name]
    log_group_id = properties["LoggingConfig"]["LogGroup"]["Ref"]
    log_group = synthesized.resources[log_group_id]["Properties"]

    assert log_group["LogGroupName"] == f"/aws/lambda/{properties['FunctionName']}"
    assert log_group["RetentionInDays"] == synthesized.context["stages"]["dev"]["log_retention_days"]


def test_every_function_has_a_role_of_its_own_without_managed_policies(synthesized: Synthesized) -> None:
    roles = [properties["Role"]["Fn::GetAtt"][0] for _, properties in synthesized.functions().values()]

    assert len(set(roles)) == len(roles)
    for role in roles:
        assert "ManagedPolicyArns" not in synthesized.resources[role]["Properties"]


def test_the_dependency_layer_is_built_for_arm64_and_python_3_13(synthesized: Synthesized) -> None:
    synthesized.template.resource_count_is("AWS::Lambda::LayerVersion", 1)
    synthesized.template.has_resource_properties(
        "AWS::Lambda::LayerVersion",
        {"CompatibleArchitectures": ["arm64"], "CompatibleRuntimes": ["python3.13"]},
    )


def test_no_log_group_is_left_to_lambda_or_a_retention_custom_resource(synthesized: Synthesized) -> None:
    types = {resource["Type"] for resource in synthesized.resources.values()}

    assert not any(t.startswith("Custom::") or t == "AWS::CloudFormation::CustomResource" for t in types)
    for log_group in synthesized.of_type("AWS::Logs::LogGroup").values():
        assert "RetentionInDays" in log_group["Properties"]
