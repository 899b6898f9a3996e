"""Import a Lambda handler the way the Lambda runtime does: a fresh interpreter that sees only the function's
asset and the dependency layer (no virtual environment, no site-packages). Used by the packaging test and by
the cold-start benchmark.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOST_LAYER = ROOT / ".build" / "layer" / "host" / "python"

# What every handler may read at entry; dummy values, as a deployed function would have real ones.
LAMBDA_ENVIRONMENT = {
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "test",
    "AWS_SECRET_ACCESS_KEY": "test",
    "AWS_LAMBDA_FUNCTION_NAME": "propdesk-import-check",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
    "STAGE": "dev",
    "TABLE_NAME": "PropdeskTable",
    "CONNECTIONS_TABLE_NAME": "ConnectionsTable",
    "REALTIME_TABLE_NAME": "RealtimeTable",
    "USER_POOL_ID": "us-east-1_pool",
    "USER_POOL_CLIENT_IDS": "app-client-1",
    "EVENT_BUS_NAME": "propdesk-dev",
    "WEBSOCKET_API_ID": "abc123",
    "WEBSOCKET_STAGE": "dev",
    "KYC_SECRET_ARN": "arn:aws:secretsmanager:us-east-1:000000000000:secret:veriff",
    "WARNING_SHARE": "0.8",
    "POWERTOOLS_SERVICE_NAME": "propdesk",
    "POWERTOOLS_METRICS_NAMESPACE": "propdesk",
    "POWERTOOLS_LOG_LEVEL": "WARNING",
}

_PROBE = """
import json, sys, time
sys.path[:0] = [sys.argv[1], sys.argv[2]]
before = set(sys.modules)
started = time.perf_counter()
module = __import__(sys.argv[3], fromlist=["handler"])
elapsed = time.perf_counter() - started
if sys.argv[3].startswith("functions."):
    assert callable(getattr(module, "handler", None)), "the module has no callable `handler`"
top_level = sorted({name.split(".")[0] for name in set(sys.modules) - before})
print(json.dumps({"seconds": elapsed, "packages": top_level}))
"""


@dataclass(frozen=True)
class ImportProbe:
    seconds: float
    packages: list[str]


def function_names() -> list[str]:
    return sorted(path.parent.name for path in (ROOT / "functions").glob("*/handler.py"))


def import_in_clean_interpreter(
    asset_dir: Path, layer_dir: Path = HOST_LAYER, function: str = "", module: str = ""
) -> ImportProbe:
    """Import `functions.<function>.handler` (or any `module`) from the asset; raise with the interpreter's
    error if it fails."""
    module = module or f"functions.{function}.handler"
    completed = subprocess.run(
        [sys.executable, "-I", "-S", "-c", _PROBE, str(asset_dir), str(layer_dir), module],
        capture_output=True,
        text=True,
        env={"PATH": os.environ.get("PATH", ""), **LAMBDA_ENVIRONMENT},
        timeout=120,
        check=False,
    )
    if completed.returncode != 0:
        raise ImportError(f"{module} does not import from its asset:\n{completed.stderr[-3000:]}")
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    return ImportProbe(seconds=float(result["seconds"]), packages=list(result["packages"]))


def directory_size(path: Path) -> int:
    return sum(file.stat().st_size for file in path.rglob("*") if file.is_file())
