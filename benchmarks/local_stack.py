"""The stack as the local-cloud benchmarks load it: deployed with `cdk deploy` into a throwaway ministack,
seeded with the demo firm, and removed afterwards."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fakes.fault_proxy import FaultPlan, FaultProxy
from scripts.local_cloud.cloud import LocalCloud, free_port
from scripts.local_cloud.endpoints import LocalEndpoints
from scripts.local_cloud.seed import seed_demo_firm
from tests.e2e.harness import DeployedStack

# Measure the functions, not the stage's throttle (50 requests a second by default).
UNTHROTTLED = {"throttle_rate_limit": "10000", "throttle_burst_limit": "5000"}


@contextmanager
def throwaway_stack(
    extra_context: dict[str, str] | None = None, log_level: str = "WARNING", proxy: FaultProxy | None = None
) -> Iterator[DeployedStack]:
    """`log_level="DEBUG"`: the emulator logs every request with its service (`LocalCloud.log_file`).
    `proxy` (from `counting_proxy`): the functions reach the cloud through it, which counts their DynamoDB
    requests by operation and table."""
    with tempfile.TemporaryDirectory(prefix="propdesk-bench-") as workdir:
        folder = Path(workdir)
        port = free_port()
        if proxy is not None:
            proxy.retarget(f"http://127.0.0.1:{port}")
            proxy.start()
        cloud = LocalCloud(
            port=port,
            state_dir=folder / "state",
            persist=False,
            log_level=log_level,
            handler_endpoint=proxy.url if proxy else None,
        )
        cloud.start()
        try:
            outputs = cloud.deploy(
                folder / "outputs.json",
                assembly_dir=folder / "cdk.out",
                extra_context=extra_context or UNTHROTTLED,
            )
            endpoints = LocalEndpoints.from_outputs(cloud.endpoint, outputs)
            yield DeployedStack(endpoints=endpoints, demo=seed_demo_firm(endpoints))
        finally:
            cloud.stop()
            if proxy is not None:
                proxy.stop()


def counting_proxy() -> FaultProxy:
    """A fault proxy that injects nothing: a counter of the functions' requests."""
    return FaultProxy("http://127.0.0.1:0", FaultPlan())
