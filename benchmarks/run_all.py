"""`make bench`: every benchmark, each figure on its own line as `name: value unit`.

The pure ones (`FAST`: one core, seconds) run first, then the ones on DynamoDB Local (`DYNAMODB_LOCAL`: the
requests per trading event, counted; fault injection); the others deploy the stack into a throwaway local
cloud and load it (minutes). `make bench-fast` (or `--fast`) runs only the pure ones.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
FAST = ["engine_bench.py", "cold_start.py", "abuse_bench.py", "payouts_workflow_bench.py"]
# The 1,000 requests over 200 accounts (the bench's defaults): about 25 minutes with the deploy on 2
# cores. `--requests 100 --accounts 20` is the quick look (about 5 minutes).
LOCAL_CLOUD_PAYOUTS = "--requests 1000 --accounts 200"
DYNAMODB_LOCAL = [
    "risk_requests.py",  # counted, not timed: DynamoDB requests per trading event (a minute)
    "fault_injection.py",  # N events and purchases with random faults vs. a fault-free run (a minute or two)
]
LOCAL_CLOUD = [
    "api_latency.py",
    "ws_fanout.py",
    "purchases_bench.py",
    "enforcement_bench.py",
    f"payouts_workflow_bench.py --local-cloud {LOCAL_CLOUD_PAYOUTS}",
    "trading_events.py",  # events/s end to end, push to WebSocket p50/p99, invocations per event, cost
]


def main() -> int:
    failed = 0
    for command in FAST if "--fast" in sys.argv else FAST + DYNAMODB_LOCAL + LOCAL_CLOUD:
        script, *arguments = command.split()
        path = HERE / script
        if not path.exists():
            print(f"# {script}: not present", flush=True)
            continue
        print(f"# {command}", flush=True)
        failed |= subprocess.run([sys.executable, str(path), *arguments], check=False).returncode
    return failed


if __name__ == "__main__":
    sys.exit(main())
