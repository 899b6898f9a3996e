"""`make bench`: every benchmark, each figure on its own line as `name: value unit`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHMARKS = ["engine_bench.py", "cold_start.py"]


def main() -> int:
    failed = 0
    for script in BENCHMARKS:
        path = HERE / script
        if not path.exists():
            print(f"# {script}: not present", flush=True)
            continue
        print(f"# {script}", flush=True)
        failed |= subprocess.run([sys.executable, str(path)], check=False).returncode
    return failed


if __name__ == "__main__":
    sys.exit(main())
