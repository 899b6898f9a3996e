"""The connector service (connector/): the platforms' long-lived connections (cTrader's Open API socket) held
by a small container, pushing signed events into ingestion, in a nested stack of its own.

Why an ECS Fargate service: the connection must stay open for hours (heartbeats every 25 s, reconnects,
account authorizations per connection), which no Lambda can hold (15 minutes at most, and a schedule of short
runs would drop and re-authorize every account each time, missing what happens in between); a Fargate task
is the smallest always-on compute without servers to patch: 0.25 vCPU, 512 MB, ARM64, one task per platform
(a cTrader connection serves every account), restarted by ECS if it dies. It pushes through the public events
route exactly as an outside connector would, with the platform's signing secret, so nothing inside trusts it
more than a platform.

Only when the CDK context `connector_image` names the image (built from `connector/Dockerfile` and pushed by
CI: the stack never builds images, so `cdk synth` needs no Docker). Without it (the default, and the local
cloud, which cannot run containers without a Docker engine) nothing is defined here, and `make dev` runs the
same code as a local process (`python -m connector`). Networking: a VPC of two public subnets and no NAT
gateway (the task needs only outbound HTTPS to the platform and the API; a NAT gateway would cost more than
the task), a security group with no inbound rule.
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import NestedStack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_logs as logs
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from infra.config import StageConfig
from infra.constructs.data import Data
from infra.constructs.functions import log_retention, removal_policy
from infra.constructs.platforms import PlatformEnforcement
from infra.nag import acknowledge

CONNECTED_PLATFORMS = ("ctrader",)  # the streams the connector holds today (DXtrade's push is next)


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
        self.services: dict[str, ecs.FargateService] = {}
        for platform in CONNECTED_PLATFORMS:
            if platform not in enforcement.connections:
                continue
            self.services[platform] = self._service(
                config, cluster, image, platform, data, events_url, signing_secrets[platform], enforcement
            )

    def _service(
        self,
        config: StageConfig,
        cluster: ecs.Cluster,
        image: str,
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
        task.add_container(
            "connector",
            image=ecs.ContainerImage.from_registry(image),
            logging=ecs.LogDrivers.aws_logs(stream_prefix=f"connector-{platform}", log_group=log_group),
            environment={
                "CONNECTOR_PLATFORM": platform,
                "STAGE": config.stage,
                "TABLE_NAME": data.table.table_name,
                "EVENT_BUS_NAME": "unused",  # the settings' shape; the connector publishes nothing
                "PLATFORM_CONNECTIONS": enforcement.connections_environment(),
                "EVENTS_URL": events_url,
                "SIGNING_SECRET_ARN": signing_secret.secret_arn,
            },
        )
        acknowledge(task, "ECS2", "names and ARNs only: the secrets are read at run time by the task's role")
        data.grant_table(task.task_role)  # the accounts to watch (reset groups), never a write
        signing_secret.grant_read(task.task_role)
        for secret in enforcement.secrets.values():
            secret.grant_read(task.task_role)
        return ecs.FargateService(
            self,
            f"{name}Service",
            cluster=cluster,
            task_definition=task,
            desired_count=1,  # one connection serves every account of the platform
            assign_public_ip=True,  # outbound only (no NAT gateway); the security group admits nothing
            min_healthy_percent=0,  # a deploy replaces the single task (a gap the next start backfills)
            max_healthy_percent=100,
            circuit_breaker=ecs.DeploymentCircuitBreaker(rollback=True),
        )
