"""A web ACL in front of the REST API's stage (issue 14, "a WAF in front of the public APIs"), in a nested
stack of its own (the main stack is near CloudFormation's 500 resources).

What people call (the trader and staff routes, sign-in, docs) goes through:
- `RestCallsPerIp`: a source IP sending more than `api_waf_rate_limit` requests in 5 minutes is blocked
  until its rate falls (a flood stopped before it costs Lambda time; each route keeps its own limits);
- AWS's common rule set (`AWSManagedRulesCommonRuleSet`: cross-site scripting, local and remote file
  inclusion, oversized headers...), with `SizeRestrictions_BODY` (8 KB) counting only, since our routes refuse
  bodies over 64 KB themselves (413);
- AWS's known bad inputs (`AWSManagedRulesKnownBadInputsRuleSet`: Log4j-style and other exploit payloads),
  applied to every request.

The machine routes (`/v1/webhooks/...` from providers, `/v1/platform/events` from platform bridges) are left
out of the rate rule and the common rule set: a bridge sends many events from one address, providers' JSON
carries URLs the file-inclusion rules would match, and each of those requests is verified by its signature.

`-c api_waf=false` (per stage in cdk.json, or on the command line) leaves the ACL out; the local cloud gets
the ACL without its association (`WebAcl.associate`).
"""

from __future__ import annotations

from aws_cdk import NestedStack
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from infra.config import StageConfig
from infra.constructs.waf import Rule, WebAcl, rate_per_ip, visibility

MACHINE_PATHS = ("/v1/webhooks/", "/v1/platform/")  # signed by their callers, verified by the handlers
COMMON_RULES = "AWSManagedRulesCommonRuleSet"
KNOWN_BAD_INPUTS = "AWSManagedRulesKnownBadInputsRuleSet"
COUNTED_COMMON_RULES = ("SizeRestrictions_BODY",)


def path_contains(fragment: str) -> wafv2.CfnWebACL.StatementProperty:
    """The request's path contains `fragment` (with or without the stage's prefix, in any case)."""
    return wafv2.CfnWebACL.StatementProperty(
        byte_match_statement=wafv2.CfnWebACL.ByteMatchStatementProperty(
            field_to_match=wafv2.CfnWebACL.FieldToMatchProperty(uri_path={}),
            positional_constraint="CONTAINS",
            search_string=fragment,
            text_transformations=[wafv2.CfnWebACL.TextTransformationProperty(priority=0, type="LOWERCASE")],
        )
    )


def not_a_machine_route() -> wafv2.CfnWebACL.StatementProperty:
    machine = wafv2.CfnWebACL.StatementProperty(
        or_statement=wafv2.CfnWebACL.OrStatementProperty(
            statements=[path_contains(path) for path in MACHINE_PATHS]
        )
    )
    return wafv2.CfnWebACL.StatementProperty(
        not_statement=wafv2.CfnWebACL.NotStatementProperty(statement=machine)
    )


def managed(
    name: str,
    priority: int,
    scope_down: wafv2.CfnWebACL.StatementProperty | None = None,
    counted: tuple[str, ...] = (),
) -> Rule:
    """An AWS managed rule group, blocking (but for the `counted` rules), limited to `scope_down`."""
    return Rule(
        name=name,
        priority=priority,
        override_action=wafv2.CfnWebACL.OverrideActionProperty(none={}),
        statement=wafv2.CfnWebACL.StatementProperty(
            managed_rule_group_statement=wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(
                vendor_name="AWS",
                name=name,
                scope_down_statement=scope_down,
                rule_action_overrides=[
                    wafv2.CfnWebACL.RuleActionOverrideProperty(
                        name=rule, action_to_use=wafv2.CfnWebACL.RuleActionProperty(count={})
                    )
                    for rule in counted
                ]
                or None,
            )
        ),
        visibility_config=visibility(name),
    )


def rest_api_rules(config: StageConfig) -> list[Rule]:
    people = not_a_machine_route()
    return [
        rate_per_ip("RestCallsPerIp", 0, config.api_waf_rate_limit, people),
        managed(COMMON_RULES, 1, people, COUNTED_COMMON_RULES),
        managed(KNOWN_BAD_INPUTS, 2),
    ]


class ApiWafStack(NestedStack):
    """The REST API's web ACL and its association with the stage, in a nested stack."""

    def __init__(self, scope: Construct, construct_id: str, config: StageConfig, stage_arn: str) -> None:
        super().__init__(scope, construct_id, description=f"propdesk {config.stage}: the REST API's web ACL")
        self.acl = WebAcl(self, "RestApiWaf", config, "rest-api", rest_api_rules(config))
        self.acl.associate("StageAssociation", stage_arn)
