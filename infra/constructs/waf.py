"""AWS WAF web ACLs (REGIONAL) in front of what the public can reach: the REST API's stage and the Cognito
user pool. Each ACL allows by default and blocks what its rules match: AWS managed rule groups (common
attacks, known bad inputs) and rate-based rules per source IP.

The local cloud (ministack) provisions web ACLs but not `AWS::WAFv2::WebACLAssociation`: with `-c local=true`
the ACLs are created and left unattached (`associate` does nothing), everywhere else they are attached.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from infra.config import StageConfig

RATE_WINDOW_SECONDS = 300  # WAF counts a rate-based rule's requests over a sliding window of this length
Rule = wafv2.CfnWebACL.RuleProperty


def visibility(metric_name: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
    return wafv2.CfnWebACL.VisibilityConfigProperty(
        cloud_watch_metrics_enabled=True, metric_name=metric_name, sampled_requests_enabled=True
    )


def managed_rule_group(name: str, priority: int) -> Rule:
    """One of AWS's managed rule groups (vendor AWS, e.g. `AWSManagedRulesCommonRuleSet`), blocking."""
    return Rule(
        name=name,
        priority=priority,
        override_action=wafv2.CfnWebACL.OverrideActionProperty(none={}),
        statement=wafv2.CfnWebACL.StatementProperty(
            managed_rule_group_statement=wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(
                vendor_name="AWS", name=name
            )
        ),
        visibility_config=visibility(name),
    )


def rate_per_ip(
    name: str, priority: int, limit: int, scope_down: wafv2.CfnWebACL.StatementProperty | None = None
) -> Rule:
    """Block a source IP that sends more than `limit` requests (matching `scope_down`, if given) within
    `RATE_WINDOW_SECONDS`; it is let through again once its rate falls under the limit."""
    return Rule(
        name=name,
        priority=priority,
        action=wafv2.CfnWebACL.RuleActionProperty(block={}),
        statement=wafv2.CfnWebACL.StatementProperty(
            rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(
                aggregate_key_type="IP",
                limit=limit,
                evaluation_window_sec=RATE_WINDOW_SECONDS,
                scope_down_statement=scope_down,
            )
        ),
        visibility_config=visibility(name),
    )


def json_field_equals(pointer: str, value: str) -> wafv2.CfnWebACL.StatementProperty:
    """The request's JSON body has `value` at `pointer` (e.g. `/ClientId`)."""
    return wafv2.CfnWebACL.StatementProperty(
        byte_match_statement=wafv2.CfnWebACL.ByteMatchStatementProperty(
            field_to_match=wafv2.CfnWebACL.FieldToMatchProperty(
                json_body=wafv2.CfnWebACL.JsonBodyProperty(
                    match_pattern=wafv2.CfnWebACL.JsonMatchPatternProperty(included_paths=[pointer]),
                    match_scope="VALUE",
                    invalid_fallback_behavior="EVALUATE_AS_STRING",
                    oversize_handling="MATCH",
                )
            ),
            positional_constraint="EXACTLY",
            search_string=value,
            text_transformations=[wafv2.CfnWebACL.TextTransformationProperty(priority=0, type="NONE")],
        )
    )


def header_equals(header: str, value: str) -> wafv2.CfnWebACL.StatementProperty:
    return wafv2.CfnWebACL.StatementProperty(
        byte_match_statement=wafv2.CfnWebACL.ByteMatchStatementProperty(
            field_to_match=wafv2.CfnWebACL.FieldToMatchProperty(single_header={"Name": header}),
            positional_constraint="EXACTLY",
            search_string=value,
            text_transformations=[wafv2.CfnWebACL.TextTransformationProperty(priority=0, type="NONE")],
        )
    )


def all_of(*statements: wafv2.CfnWebACL.StatementProperty) -> wafv2.CfnWebACL.StatementProperty:
    return wafv2.CfnWebACL.StatementProperty(
        and_statement=wafv2.CfnWebACL.AndStatementProperty(statements=list(statements))
    )


class WebAcl(Construct):
    """A REGIONAL web ACL: allow by default, block what `rules` match."""

    def __init__(
        self, scope: Construct, construct_id: str, config: StageConfig, name: str, rules: Sequence[Rule]
    ) -> None:
        super().__init__(scope, construct_id)
        self._config = config
        metric = config.resource_name(name)
        self.acl = wafv2.CfnWebACL(
            self,
            "WebAcl",
            name=metric,
            description=f"propdesk {config.stage}: {name}",
            scope="REGIONAL",
            default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
            rules=list(rules),
            visibility_config=visibility(metric),
        )

    def associate(self, construct_id: str, resource_arn: str) -> wafv2.CfnWebACLAssociation | None:
        """Attach the ACL to a regional resource (an API stage, a user pool); not in the local cloud."""
        if self._config.local:
            return None
        return wafv2.CfnWebACLAssociation(
            self, construct_id, resource_arn=resource_arn, web_acl_arn=self.acl.attr_arn
        )
