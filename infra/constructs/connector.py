"""The connector service (connector/): the platforms' long-lived connections (cTrader's Open API socket,
DXtrade's push WebSocket, Match-Trader's event stream) each held by a small container of its own, pushing
signed events into ingestion, all in a nested stack of their own (docs/connector.md).

Why an ECS Fargate service: the connection must stay open for hours (heartbeats every 25 s, reconnects,
account authorizations per connection), which no Lambda can hold (15 minutes at most, and a schedule of short
runs would drop and re-authorize every account each time, missing what happens in between); a Fargate task
is the smallest always-on compute without servers to patch: 0.25 vCPU, 512 MB, ARM64, restarted by ECS if it
dies.

One service (one task definition, one task) per streamed platform, not one task holding all of them:
- failure isolation: a platform whose socket misbehaves (a crash loop, a leak, a deploy rolled back) takes
  down its own connection only;
- least privilege: each task's role reads its platform's connection secret and its own signing secret and no
  other platform's, and its `PLATFORM_CONNECTIONS` names its platform alone; so a compromised task can push
  only for its platform's accounts (ingestion checks the signature per platform), as an outside connector;
- it pushes through the public events route exactly as an outside connector would, so nothing inside trusts
  it more than a platform.
Its table access: reads (the accounts to watch, by reset group) and `UpdateItem` on the `SYSTEM` partition
(the platform's shared circuit breaker, `SYSTEM` / `BREAKER#...`), nothing else.

Only when the CDK context `connector_image` names the image (built from `connector/Dockerfile` and pushed by
CI: the stack never builds images, so `cdk synth` needs no Docker). Without it (the default, and the local
cloud, which cannot run containers without a Docker engine) nothing is defined here, and `make dev` runs the
same code as local processes (`python -m connector`). The streamed platforms are those of `STREAMED` that the
firm connects (`platform_connections`; Match-Trader is always connected); the context `connector_platforms`
(comma-separated) narrows them. Networking: a VPC of two public subnets and no NAT gateway (the tasks need
only outbound HTTPS to the platform and the API; a NAT gateway would cost more than the tasks), a security
group per service with no inbound rule.
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import NestedStack, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_logs as logs
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from infra.config import StageConfig
from infra.constructs.data import Data
from infra.constructs.functions import log_retention, removal_policy
from infra.constructs.platforms import PlatformEnforcement
from infra.nag import acknowledge

STREAMED = ("ctrader", "dxtrade", "match-trader")  # the platforms whose connection the connector holds
BREAKER_WRITES = ("dynamodb:UpdateItem",)  # the platform's circuit breaker (SYSTEM / BREAKER#...)
BREAKER_PARTITIONS = ("SYSTEM",)


def streamed_platforms(enforcement: PlatformEnforcement, chosen: str) -> tuple[str, ...]:
    """The connected platforms the connector holds a connection to (all streamed ones unless `chosen`, a
    comma-separated list, narrows them)."""
    wanted = {name.strip() for name in chosen.split(",") if name.strip()} or set(STREAMED)
    unknown = wanted - set(STREAMED)
    if unknown:
        raise ValueError(f"connector_platforms: no stream for {', '.join(sorted(unknown))}")
    return tuple(name for name in STREAMED if name in wanted and name in enforcement.connections)


class ConnectorStack(NestedStack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        config: StageConfig,
        image: str,
        data: Data,
        events_url: str,
        signing_secrets: Mapping[str, secretsmanager.ISecret],
        enforcement: PlatformEnforcement,
    ) -> None:
        super().__init__(scope, construct_id, description=f"propdesk {config.stage}: the connector service")
        vpc = ec2.Vpc(
            self,
            "Vpc",
            max_azs=2,
            nat_gateways=0,
            subnet_configuration=[ec2.SubnetConfiguration(name="public", subnet_type=ec2.SubnetType.PUBLIC)],
        )
        acknowledge(vpc, "VPC7", "the tasks only open outbound connections; the platform logs them")
        cluster = ecs.Cluster(self, "Cluster", vpc=vpc, container_insights_v2=ecs.ContainerInsights.ENABLED)
        self._image = _container_image(self, image)
        self.services: dict[str, ecs.FargateService] = {}
        chosen = str(self.node.try_get_context("connector_platforms") or "")
        for platform in streamed_platforms(enforcement, chosen):
            self.services[platform] = self._service(
                config, cluster, platform, data, events_url, signing_secrets[platform], enforcement
            )

    def _service(
        self,
        config: StageConfig,
        cluster: ecs.Cluster,
        platform: str,
        data: Data,
        events_url: str,
        signing_secret: secretsmanager.ISecret,
        enforcement: PlatformEnforcement,
    ) -> ecs.FargateService:
        name = "".join(part.capitalize() for part in platform.split("-"))
        task = ecs.FargateTaskDefinition(
            self,
            f"{name}Task",
            cpu=256,
            memory_limit_mib=512,
            runtime_platform=ecs.RuntimePlatform(
                cpu_architecture=ecs.CpuArchitecture.ARM64,
                operating_system_family=ecs.OperatingSystemFamily.LINUX,
            ),
        )
        log_group = logs.LogGroup(
            self, f"{name}Logs", retention=log_retention(config), removal_policy=removal_policy(config)
        )
        own_connection = {platform: enforcement.connections[platform]}  # no other platform is named
        task.add_container(
            "connector",
            image=self._image,
            logging=ecs.LogDrivers.aws_logs(stream_prefix=f"connector-{platform}", log_group=log_group),
            environment={
                "CONNECTOR_PLATFORM": platform,
                "STAGE": config.stage,
                "TABLE_NAME": data.table.table_name,
                "EVENT_BUS_NAME": "unused",  # the settings' shape; the connector publishes nothing
                "PLATFORM_CONNECTIONS": Stack.of(self).to_json_string(own_connection),
                "EVENTS_URL": events_url,
                "SIGNING_SECRET_ARN": signing_secret.secret_arn,
            },
        )
        acknowledge(task, "ECS2", "names and ARNs only: the secrets are read at run time by the task's role")
        if task.execution_role is not None:
            acknowledge(
                task.execution_role,
                "IAM5[Resource::*]",
                "ecr:GetAuthorizationToken has no resource to name (AWS allows only *); the pull itself is "
                "granted on the one repository",
            )
        data.grant_table(task.task_role)  # the accounts to watch (reset groups)
        data.grant_partition_writes(task.task_role, BREAKER_WRITES, BREAKER_PARTITIONS)
        signing_secret.grant_read(task.task_role)  # its own signing secret, never another platform's
        enforcement.secrets[platform].grant_read(task.task_role)  # its platform's credentials only
        security_group = ec2.SecurityGroup(
            self,
            f"{name}SecurityGroup",
            vpc=cluster.vpc,
            description=f"propdesk connector ({platform}): outbound only",
            allow_all_outbound=True,
        )
        return ecs.FargateService(
            self,
            f"{name}Service",
            cluster=cluster,
            task_definition=task,
            desired_count=1,  # one connection serves every account of the platform
            assign_public_ip=True,  # outbound only (no NAT gateway); the security group admits nothing
            security_groups=[security_group],
            min_healthy_percent=0,  # a deploy replaces the single task (a gap the next start backfills)
            max_healthy_percent=100,
            circuit_breaker=ecs.DeploymentCircuitBreaker(rollback=True),
        )


def _container_image(scope: Construct, image: str) -> ecs.ContainerImage:
    """An image in the account's ECR (`<account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag>`) through
    the repository, so that the execution role is granted its pull (and nothing more); others by name."""
    host, _, rest = image.partition("/")
    if ".dkr.ecr." not in host or not rest:
        return ecs.ContainerImage.from_registry(image)
    repository_name, separator, tag = rest.partition("@")  # by digest (`@sha256:...`) or by tag
    if not separator:
        repository_name, _, tag = rest.partition(":")
    account, region = host.split(".")[0], host.split(".")[3]
    repository = ecr.Repository.from_repository_attributes(
        scope,
        "Repository",
        repository_arn=f"arn:aws:ecr:{region}:{account}:repository/{repository_name}",
        repository_name=repository_name,
    )
    return ecs.ContainerImage.from_ecr_repository(repository, tag or "latest")
