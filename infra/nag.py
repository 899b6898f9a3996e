"""cdk-nag acknowledgments: each names the rule (for wildcard findings, the exact finding) and says why.

Acknowledgments are made next to the resource they concern, through these helpers, so that a reader sees the
reason where the resource is built.
"""

from __future__ import annotations

from aws_cdk import Acknowledgment, CfnResource, Stack, Validations
from constructs import IConstruct


def acknowledge(construct: IConstruct, rule: str, reason: str) -> None:
    """Acknowledge an AwsSolutions rule (e.g. "SQS3", "IAM5[Resource::*]") on a construct and its children."""
    Validations.of(construct).acknowledge(Acknowledgment(id=f"AwsSolutions-{rule}", reason=reason))


def logical_id(construct: IConstruct) -> str:
    """The CloudFormation logical id of an L2 construct's main resource, as cdk-nag prints it in findings."""
    resource = construct.node.default_child
    if not isinstance(resource, CfnResource):
        raise TypeError(f"{construct.node.path} has no CloudFormation resource")
    stack = Stack.of(construct)
    resolved: str = stack.resolve(stack.get_logical_id(resource))
    return resolved
