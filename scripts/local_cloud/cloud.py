"""The local cloud: start and stop the ministack emulator, and deploy the real CDK stack into it.

Used by `make dev` (a persistent local system) and by the end-to-end tests (a throwaway one on a free port).
The deploy is the same `cdk deploy` that ops run against AWS, pointed at the emulator's endpoint.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LOCAL = ROOT / ".local"
RUNTIME_PYTHON = LOCAL / "runtime" / "bin" / "python"
EMULATOR_VENV = LOCAL / "ministack"
LAUNCHER = Path(__file__).resolve().parent / "launcher.py"
CDK = ROOT / "node_modules" / ".bin" / "cdk"
ACCOUNT = "000000000000"
REGION = "us-east-1"
STAGE = "dev"


def emulator_site_packages() -> Path:
    found = sorted(EMULATOR_VENV.glob("lib/python3*/site-packages"))
    if not found:
        raise SystemExit("The local cloud is not installed: run `make dev` (or `make local-cloud-install`).")
    return found[0]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def aws_environment(port: int) -> dict[str, str]:
    """The environment a client (cdk, boto3, tests) needs to talk to the local cloud."""
    return {
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "CDK_DISABLE_CLI_TELEMETRY": "true",
        "CDK_DEFAULT_ACCOUNT": ACCOUNT,
        "CDK_DEFAULT_REGION": REGION,
    }


def forget_stream_positions(state_dir: Path) -> None:
    """Work around a ministack restart gap: it persists each stream mapping's read position but not the
    stream records themselves, so after a restart the new records sit below the stale position and are never
    delivered. Dropping the positions makes each mapping start again at its trim horizon (our mappings use
    TRIM_HORIZON), i.e. at the first record written after the restart."""
    state_file = state_dir / "lambda.json"
    if not state_file.exists():
        return
    state = json.loads(state_file.read_text())
    positions = state.get("payload", {}).get("dynamodb_stream_positions")
    if isinstance(positions, dict) and positions.get("data"):
        positions["data"] = {}
        state_file.write_text(json.dumps(state))


def discard(folder: Path) -> None:
    """Delete a folder without waiting for it: renamed aside at once, then removed by a detached `rm -rf`
    (deleting a gigabyte of extracted Lambda code took minutes on a busy machine, holding up a test run)."""
    if not folder.exists():
        return
    doomed = folder.with_name(f".{folder.name}.discarded-{os.getpid()}-{time.monotonic_ns()}")
    try:
        folder.rename(doomed)
    except OSError:
        shutil.rmtree(folder, ignore_errors=True)
        return
    quiet = subprocess.DEVNULL
    remove = ["rm", "-rf", str(doomed)]
    subprocess.Popen(remove, stdin=quiet, stdout=quiet, stderr=quiet, start_new_session=True)


def reap_if_child(pid: int) -> None:
    """Collect an exited emulator we started ourselves, so it does not linger as a zombie."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


@dataclass
class LocalCloud:
    """One ministack process (and its children), identified by its port."""

    port: int
    state_dir: Path
    persist: bool
    # Where the Lambda workers send their AWS calls (`AWS_ENDPOINT_URL`, which the workers inherit from the
    # emulator): the emulator itself by default; a fault proxy in front of it for fault injection.
    handler_endpoint: str | None = None
    log_level: str = "WARNING"  # DEBUG logs every request by service (benchmarks count them)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid_file(self) -> Path:
        return LOCAL / f"cloud-{self.port}.pid"

    @property
    def scratch_dir(self) -> Path:
        return LOCAL / "tmp" / str(self.port)

    @property
    def log_file(self) -> Path:
        return LOCAL / f"cloud-{self.port}.log"

    def is_healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.endpoint}/_ministack/health", timeout=2) as response:  # noqa: S310
                return bool(response.status == 200)
        except (urllib.error.URLError, OSError):
            return False

    def start(self, timeout: float = 60.0) -> None:
        if self.is_healthy():
            print(f"local cloud: already running on {self.endpoint}")
            return
        LOCAL.mkdir(exist_ok=True)
        self.state_dir.mkdir(parents=True, exist_ok=True)
        forget_stream_positions(self.state_dir)
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PYTHON", "VIRTUAL_ENV"))},
            "BIND_HOST": "127.0.0.1",
            "GATEWAY_PORT": str(self.port),
            "PERSIST_STATE": "1" if self.persist else "0",
            "STATE_DIR": str(self.state_dir),
            "LOG_LEVEL": self.log_level,
            # One scratch folder per emulator: an emulator clears its extracted code and layers from it, so
            # two of them (make dev beside a test run) must not share one.
            "TMPDIR": str(self.scratch_dir),
            # Surplus execution environments (a burst's) are reaped after a minute idle, not five: each is a
            # process of about 80 MB here, and a burst of hundreds would fill the machine's memory. The first
            # environment of each function stays warm.
            "LAMBDA_WARM_TTL_SECONDS": "60",
            **({"AWS_ENDPOINT_URL": self.handler_endpoint} if self.handler_endpoint else {}),
        }
        shutil.rmtree(self.scratch_dir, ignore_errors=True)  # left by an emulator that was killed
        self.scratch_dir.mkdir(parents=True, exist_ok=True)
        with self.log_file.open("ab") as log:
            process = subprocess.Popen(
                [str(RUNTIME_PYTHON), str(LAUNCHER), str(emulator_site_packages())],
                cwd=LOCAL,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        self.pid_file.write_text(str(process.pid))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise SystemExit(f"local cloud: the emulator exited early; see {self.log_file}")
            if self.is_healthy():
                print(f"local cloud: running on {self.endpoint} (log {self.log_file})")
                return
            time.sleep(0.2)
        self.stop()
        raise SystemExit(f"local cloud: not healthy after {timeout:.0f} s; see {self.log_file}")

    def stop(self, timeout: float = 30.0) -> None:
        """Stop the emulator and its Lambda workers; SIGTERM first so a persistent state is saved."""
        if not self.pid_file.exists():
            return
        pid = int(self.pid_file.read_text())
        try:
            os.killpg(pid, signal.SIGTERM)
        except ProcessLookupError:
            self.pid_file.unlink(missing_ok=True)
            return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            reap_if_child(pid)
            try:
                os.killpg(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.2)
        else:
            os.killpg(pid, signal.SIGKILL)
        self.pid_file.unlink(missing_ok=True)
        # Each Lambda worker extracts its code and the layer (~60 MB) here: gigabytes after a load test.
        discard(self.scratch_dir)
        print(f"local cloud: stopped (port {self.port})")

    def cdk(self, *args: str) -> None:
        env = {**os.environ, **aws_environment(self.port)}
        subprocess.run([str(CDK), *args, "--no-notices"], cwd=ROOT, env=env, check=True)

    def has_stack(self, name: str) -> bool:
        import boto3
        from botocore.exceptions import ClientError

        cloudformation = boto3.client(
            "cloudformation",
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id="test",
            aws_secret_access_key="test",  # noqa: S106 - dummy credentials
        )
        try:
            stacks = cloudformation.describe_stacks(StackName=name)["Stacks"]
        except ClientError:
            return False
        return any(not stack["StackStatus"].startswith("DELETE") for stack in stacks)

    def deploy(
        self,
        outputs_file: Path,
        assembly_dir: Path | None = None,
        extra_context: dict[str, str] | None = None,
    ) -> dict[str, str]:
        """Bootstrap (once) and deploy the real stack; returns the stack's outputs. `extra_context` adds CDK
        context, e.g. `stripe_api_base` pointing the purchase functions at a local fake."""
        context = ["-c", f"stage={STAGE}", "-c", "local=true", "-c", "layer_dir=.build/layer/host"]
        for name, value in (extra_context or {}).items():
            context += ["-c", f"{name}={value}"]
        assembly = assembly_dir if assembly_dir is not None else ROOT / "cdk.out"
        context += ["--output", str(assembly)]
        app: list[str] = []
        if not self.has_stack("CDKToolkit"):
            # With an app in cdk.json, `cdk bootstrap` synthesizes it (tens of seconds, minutes on a busy
            # machine); the deploy then takes that same assembly instead of synthesizing it a second time.
            self.cdk("bootstrap", f"aws://{ACCOUNT}/{REGION}", *context)
            app = ["--app", str(assembly)]
        self.cdk(
            "deploy",
            f"Propdesk-{STAGE}",
            "--require-approval",
            "never",
            "--outputs-file",
            str(outputs_file),
            *context,
            *app,
        )
        outputs: dict[str, dict[str, str]] = json.loads(outputs_file.read_text())
        return outputs[f"Propdesk-{STAGE}"]
