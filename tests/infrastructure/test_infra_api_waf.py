"""The REST API's stage sits behind a web ACL (issue 14): a rate limit per source IP and AWS's managed rule
sets on the people's routes, in a nested stack; the machine routes (signed webhooks, platform events) are left
to their signatures; the local cloud gets the ACL unattached; a stage may turn it off."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.config import load_config
from infra.constructs.api_waf import MACHINE_PATHS
from tests.infrastructure.conftest import Synthesized, project_context

pytestmark = pytest.mark.infra


def rest_acl(synthesized: Synthesized) -> tuple[str, dict[str, Any]]:
    [(acl_id, acl)] = [
        (key, value["Properties"])
        for key, value in synthesized.of_type("AWS::WAFv2::WebACL").items()
        if value["Properties"]["Name"] == "propdesk-dev-rest-api"
    ]
    return acl_id, acl


def test_the_rest_api_stage_is_behind_a_web_acl_in_a_nested_stack(synthesized: Synthesized) -> None:
    acl_id, acl = rest_acl(synthesized)
    [association] = [
        association["Properties"]
        for association in synthesized.of_type("AWS::WAFv2::WebACLAssociation").values()
        if association["Properties"]["WebACLArn"] == {"Fn::GetAtt": [acl_id, "Arn"]}
    ]

    assert acl["Scope"] == "REGIONAL" and acl["DefaultAction"] == {"Allow": {}}
    stage = next(iter(synthesized.of_type("AWS::ApiGateway::Stage")))
    assert f'"{stage}"' in json.dumps(association["ResourceArn"])
    parent = json.loads(synthesized.template_path.read_text())["Resources"]  # before flattening
    assert acl_id not in parent, "the ACL must be in a nested stack: the parent is near 500 resources"


def test_people_are_rate_limited_per_ip_and_screened_by_the_managed_rule_sets(
    synthesized: Synthesized,
) -> None:
    _, acl = rest_acl(synthesized)
    rules = {rule["Name"]: rule for rule in acl["Rules"]}

    assert set(rules) == {
        "RestCallsPerIp", "AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet",
    }  # fmt: skip
    rate = rules["RestCallsPerIp"]["Statement"]["RateBasedStatement"]
    assert rules["RestCallsPerIp"]["Action"] == {"Block": {}}
    assert (rate["AggregateKeyType"], rate["Limit"], rate["EvaluationWindowSec"]) == ("IP", 2000, 300)
    common = rules["AWSManagedRulesCommonRuleSet"]["Statement"]["ManagedRuleGroupStatement"]
    assert rules["AWSManagedRulesCommonRuleSet"]["OverrideAction"] == {"None": {}}
    assert common["RuleActionOverrides"] == [{"Name": "SizeRestrictions_BODY", "ActionToUse": {"Count": {}}}]
    for scoped in (rate, common):  # the machine routes are left to their signatures
        machine = scoped["ScopeDownStatement"]["NotStatement"]["Statement"]["OrStatement"]["Statements"]
        assert [s["ByteMatchStatement"]["SearchString"] for s in machine] == list(MACHINE_PATHS)
    bad_inputs = rules["AWSManagedRulesKnownBadInputsRuleSet"]["Statement"]["ManagedRuleGroupStatement"]
    assert "ScopeDownStatement" not in bad_inputs  # every request


def test_the_local_cloud_gets_the_rest_apis_acl_unattached(synthesized_local: Synthesized) -> None:
    rest_acl(synthesized_local)
    assert synthesized_local.of_type("AWS::WAFv2::WebACLAssociation") == {}


def test_a_stage_can_turn_the_acl_off_or_change_its_rate_from_the_context() -> None:
    context = project_context()

    def config(**given: object) -> Any:
        return load_config(lambda key: given.get(key, context.get(key)))

    assert config().api_waf is True and config().api_waf_rate_limit == 2000
    assert config(api_waf="false").api_waf is False
    assert config(api_waf_rate_limit=500).api_waf_rate_limit == 500
