"""Every Lambda function is built the same way: ARM64, one runtime, the shared dependency layer, its own
least-privilege role and log group, X-Ray tracing and the Powertools settings. Each concern's construct asks
the factory for the functions it wires, then grants them exactly what they need.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from aws_cdk import CfnResource, Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.assets import layer_asset, stage_function_asset
from infra.config import LOG_RETENTION_NAMES, StageConfig
from infra.nag import acknowledge

RUNTIME = lambda_.Runtime.PYTHON_3_13
ARCHITECTURE = lambda_.Architecture.ARM_64


@dataclass(frozen=True)
class FunctionSpec:
    """One function: its folder under `functions/`, its limits and the settings its environment carries."""

    name: str
    description: str
    timeout_seconds: int
    memory_mb: int
    environment: Mapping[str, str] = field(default_factory=dict)


def removal_policy(config: StageConfig) -> RemovalPolicy:
    """Keep what holds data or evidence in prod; let dev stacks clean up after themselves."""
    return RemovalPolicy.RETAIN if config.is_prod else RemovalPolicy.DESTROY


def log_retention(config: StageConfig) -> logs.RetentionDays:
    return logs.RetentionDays[LOG_RETENTION_NAMES[config.log_retention_days]]


def new_log_group(scope: Construct, construct_id: str, config: StageConfig, name: str) -> logs.LogGroup:
    """An explicit log group (no Lambda-backed retention custom resource, so it deploys locally too)."""
    return logs.LogGroup(
        scope,
        construct_id,
        log_group_name=name,
        retention=log_retention(config),
        removal_policy=removal_policy(config),
    )


class FunctionFactory:
    """Builds the stack's functions on one pattern and remembers them (monitoring alarms on each)."""

    def __init__(self, scope: Construct, config: StageConfig) -> None:
        self._config = config
        self.layer = lambda_.LayerVersion(
            scope,
            "DependenciesLayer",
            code=lambda_.Code.from_asset(str(layer_asset(config.layer_dir))),
            compatible_architectures=[ARCHITECTURE],
            compatible_runtimes=[RUNTIME],
            description="propdesk third-party packages (layers/dependencies/requirements.txt)",
            removal_policy=removal_policy(config),
        )
        self.functions: dict[str, lambda_.Function] = {}

    def create(self, scope: Construct, spec: FunctionSpec) -> lambda_.Function:
        construct = PropdeskFunction(scope, _construct_id(spec.name), spec, self._config, self.layer)
        self.functions[spec.name] = construct.function
        return construct.function


class PropdeskFunction(Construct):
    """A function with its own role (no managed policies) and its own log group."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        spec: FunctionSpec,
        config: StageConfig,
        layer: lambda_.ILayerVersion,
    ) -> None:
        super().__init__(scope, construct_id)
        self.spec = spec
        function_name = config.resource_name(spec.name)
        self.log_group = new_log_group(self, "Logs", config, f"/aws/lambda/{function_name}")
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"propdesk {spec.name}: only the grants its trigger and handler need",
        )
        self.log_group.grant_write(self.role)
        self.function = lambda_.Function(
            self,
            "Function",
            function_name=function_name,
            description=spec.description,
            runtime=RUNTIME,
            architecture=ARCHITECTURE,
            handler=f"functions.{spec.name}.handler.handler",
            code=lambda_.Code.from_asset(str(stage_function_asset(spec.name, config.asset_dir))),
            layers=[layer],
            timeout=Duration.seconds(spec.timeout_seconds),
            memory_size=spec.memory_mb,
            tracing=lambda_.Tracing.ACTIVE,
            role=self.role,
            log_group=self.log_group,
            environment={**_powertools_environment(spec.name, config), **spec.environment},
        )
        assert isinstance(self.function.node.default_child, CfnResource)
        depend_on_policy_only(self.function.node.default_child, self.role)
        acknowledge(
            self,
            "L1",
            f"Pinned to {RUNTIME.name}, the runtime the dependency layer is built and tested for; "
            "a runtime upgrade is a deliberate change together with the layer.",
        )
        acknowledge(
            self,
            "IAM5[Resource::*]",
            "X-Ray's PutTraceSegments/PutTelemetryRecords support no resource-level permissions.",
        )


def depend_on_policy_only(resource: CfnResource, role: iam.Role) -> None:
    """CDK makes a resource depend on its role and on the role's policy; its GetAtt of the role's ARN already
    orders it after the role, so keep only the policy (cfn-lint W3005: redundant dependency)."""
    policy = role.node.try_find_child("DefaultPolicy")
    if policy is None or not isinstance(policy.node.default_child, CfnResource):
        raise ValueError(f"{role.node.path} has no policy yet: grant before building what uses it")
    resource.add_override("DependsOn", [Stack.of(resource).get_logical_id(policy.node.default_child)])


METRICS_NAMESPACE = "propdesk"


def service_name(name: str) -> str:
    """The `service` dimension of function `name`'s metrics (Powertools reads it from the environment)."""
    return f"propdesk-{name}"


def _powertools_environment(name: str, config: StageConfig) -> dict[str, str]:
    return {
        "POWERTOOLS_SERVICE_NAME": service_name(name),
        "POWERTOOLS_METRICS_NAMESPACE": METRICS_NAMESPACE,
        "POWERTOOLS_LOG_LEVEL": "INFO" if config.is_prod else "DEBUG",
        "STAGE": config.stage,
        # the SDKs add `app/<id>` to every request's User-Agent: CloudTrail (and the local benches) can tell
        # which function made an AWS call
        "AWS_SDK_UA_APP_ID": service_name(name),
    }


def _construct_id(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))
