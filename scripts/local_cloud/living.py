"""The living part of `make dev`: the market process (platform fakes and the simulator,
`scripts/local_cloud/market.py`) and one connector process per streamed platform (`python -m connector`),
each a process of its own with a pid file and a log in `.local/`, stopped by `make local-down`.

Order (scripts/dev.py): `start_market()` before the deploy (the stack is pointed at its fakes through
`cdk_context()`), then `write_secrets()`, `seed_accounts()` and `start_connectors()` once the stack's
outputs are known. A process already running (a second `make dev` while the first still runs) is kept.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scripts.local_cloud.cloud import LOCAL, REGION, ROOT, STAGE
from scripts.local_cloud.endpoints import LocalEndpoints
from scripts.local_cloud.market import ports

STREAMED = ("match-trader", "dxtrade")  # the connector holds their push channels
POLLED = "match-trader,dxtrade"  # and the polling schedules read them too (equity between deals)


@dataclass
class LivingMarket:
    first_port: int  # Match-Trader's port (make dev's provider ports + 2); the market's others follow
    seed: int = 7
    interval: float = 5.0
    folder: Path = LOCAL

    @property
    def manifest_file(self) -> Path:
        return self.folder / "market.json"

    @property
    def go_file(self) -> Path:
        return self.folder / "market.go"

    def let_trade(self) -> None:
        """The stack knows the accounts and the connectors watch them: the simulator may trade."""
        self.go_file.touch()

    def pid_file(self, name: str) -> Path:
        return self.folder / f"{name}.pid"

    def log_file(self, name: str) -> Path:
        return self.folder / f"{name}.log"

    # ---- the market ----
    def start_market(self, timeout: float = 60.0) -> None:
        if alive(self.pid_file("market")):
            print(f"market: already running (pid {read_pid(self.pid_file('market'))})")
            return
        self.manifest_file.unlink(missing_ok=True)
        self.go_file.unlink(missing_ok=True)
        command = [sys.executable, "-m", "scripts.local_cloud.market", "--first-port", str(self.first_port),
                   "--seed", str(self.seed), "--interval", str(self.interval),
                   "--manifest", str(self.manifest_file), "--go", str(self.go_file)]  # fmt: skip
        self._spawn("market", command, {})
        deadline = time.monotonic() + timeout
        while not self.manifest_file.exists():
            if not alive(self.pid_file("market")):
                raise SystemExit(f"market: exited early; see {self.log_file('market')}")
            if time.monotonic() > deadline:
                raise SystemExit(f"market: no manifest after {timeout:.0f} s; see {self.log_file('market')}")
            time.sleep(0.2)
        print(f"market: running (seed {self.seed}, log {self.log_file('market')})")

    def manifest(self) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads(self.manifest_file.read_text())
        return loaded

    def cdk_context(self) -> dict[str, str]:
        """Match-Trader keeps `match_trader_base_url` (the provider fakes' port, served here); DXtrade is
        turned on as a connection of the firm; both are polled."""
        urls = ports(self.first_port)
        dxtrade = {"server": "DXtrade-Demo", "base_url": f"http://127.0.0.1:{urls['dxtrade']}/dxsca-web",
                   "options": {"admin_url": f"http://127.0.0.1:{urls['dxtrade']}"}}  # fmt: skip
        return {"platform_connections": json.dumps({"dxtrade": dxtrade}), "polled_platforms": POLLED}

    def write_secrets(self, secretsmanager: Any) -> None:
        """The platforms' connection secrets as ops would write them (with the push channels' URLs)."""
        manifest = self.manifest()
        for platform in STREAMED:
            key = platform.replace("-", "_")
            value = {k: v for k, v in manifest[key].items() if k != "server"}
            secretsmanager.put_secret_value(SecretId=secret_name(platform), SecretString=json.dumps(value))

    def seed_accounts(self, endpoints: LocalEndpoints, trader_id: str) -> list[str]:
        """The simulated accounts in the stack, owned by the demo trader, each on its platform."""
        from propdesk.catalogue import demo_programs
        from propdesk.data.accounts import AccountRepository
        from propdesk.data.binding import TableBinding, bind_tables
        from propdesk.data.catalogue import CatalogueRepository
        from propdesk.records import Account, PlatformReference

        outputs = endpoints.outputs
        bind_tables(
            TableBinding(outputs["TableName"], outputs["ConnectionsTableName"], REGION, endpoints.cloud)
        )
        manifest = self.manifest()
        program = next(p for p in demo_programs() if p.summary.program_id == manifest["program_id"])
        version = CatalogueRepository().publish(program.summary, program.document, datetime.now(UTC))
        repository = AccountRepository()
        for row in manifest["accounts"]:
            repository.open(
                Account(
                    account_id=row["account_id"],
                    trader_id=trader_id,
                    program_id=program.summary.program_id,
                    program_version=version,
                    status="active",
                    currency=program.summary.currency,
                    initial_balance=program.summary.initial_balance,
                    timezone=str(program.document["timezone"]),
                    day_starts_at=str(program.document["day_starts_at"]),
                    opened_at=datetime.fromisoformat(manifest["opened_at"]),
                    platform=PlatformReference(
                        row["platform"], row["platform_account_id"], row["login"], row["group"], row["server"]
                    ),
                )
            )
        return [str(row["account_id"]) for row in manifest["accounts"]]

    # ---- the connectors ----
    def start_connectors(self, endpoints: LocalEndpoints) -> None:
        outputs, manifest = endpoints.outputs, self.manifest()
        signing = json.loads(outputs["PlatformSigningSecretArns"])
        for platform in STREAMED:
            name = f"connector-{platform}"
            if alive(self.pid_file(name)):
                print(f"{name}: already running")
                continue
            settings = manifest[platform.replace("-", "_")]
            base_url = settings.get("base_url") or settings["trading_url"]
            connection = {
                "secret_arn": secret_name(platform),
                "server": settings["server"],
                "base_url": base_url,
                "requests_per_minute": 250,
                "options": {k: v for k, v in settings.items() if k == "admin_url"},
            }
            environment = {
                "CONNECTOR_PLATFORM": platform,
                "PLATFORM_CONNECTIONS": json.dumps({platform: connection}),
                "TABLE_NAME": outputs["TableName"],
                "EVENT_BUS_NAME": outputs.get("EventBusName", "propdesk-dev"),
                "EVENTS_URL": endpoints.rest_url("/v1/platform/events"),
                "SIGNING_SECRET_ARN": signing[platform],
                "AWS_ENDPOINT_URL": endpoints.cloud,
                "AWS_REGION": REGION,
                "AWS_DEFAULT_REGION": REGION,
                "AWS_ACCESS_KEY_ID": "test",
                "AWS_SECRET_ACCESS_KEY": "test",
            }
            self._spawn(name, [sys.executable, "-m", "connector"], environment)
            print(f"{name}: running (log {self.log_file(name)})")

    # ---- processes ----
    def names(self) -> list[str]:
        return [f"connector-{platform}" for platform in STREAMED] + ["market"]

    def stop(self) -> None:
        """Stop the connectors, then the market (SIGTERM, then SIGKILL after 10 s), by their pid files."""
        for name in self.names():
            stop_process(self.pid_file(name), name)

    def _spawn(self, name: str, command: list[str], environment: dict[str, str]) -> None:
        self.folder.mkdir(exist_ok=True)
        python_path = os.pathsep.join([str(ROOT / "shared"), str(ROOT)])
        env = {**os.environ, "PYTHONPATH": python_path, "PYTHONUNBUFFERED": "1", **environment}
        with self.log_file(name).open("ab") as log:
            process = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True,
            )  # fmt: skip
        self.pid_file(name).write_text(str(process.pid))


def secret_name(platform: str) -> str:
    return f"propdesk/{STAGE}/{platform}"


def read_pid(pid_file: Path) -> int | None:
    try:
        return int(pid_file.read_text())
    except (OSError, ValueError):
        return None


def alive(pid_file: Path) -> bool:
    pid = read_pid(pid_file)
    if pid is None:
        return False
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # an exited child of ours is reaped, not taken for alive
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def stop_process(pid_file: Path, name: str, timeout: float = 10.0) -> None:
    pid = read_pid(pid_file)
    if pid is None:
        return
    if alive(pid_file):
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while alive(pid_file) and time.monotonic() < deadline:
            time.sleep(0.1)
        if alive(pid_file):
            os.kill(pid, signal.SIGKILL)
        print(f"{name}: stopped")
    pid_file.unlink(missing_ok=True)
