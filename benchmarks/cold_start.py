"""Cold start per Lambda function: the handler module's import time in a fresh interpreter that sees only
the function's asset and the dependency layer (as in Lambda), and the function's package size.

Prints `cold_start.<function>.import: N ms` and `cold_start.<function>.asset: N KiB` per function, the
layer's size, and, side by side in the same run, the import of boto3 alone (the floor any AWS handler
pays) with each handler's ratio to it: `cold_start.<function>.vs_boto3: N x`.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "shared")]

from infra.assets import stage_function_asset  # noqa: E402
from scripts.lambda_imports import (  # noqa: E402
    HOST_LAYER,
    directory_size,
    function_names,
    import_in_clean_interpreter,
)

RUNS = 5
GOAL_MS = 150


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        over_goal = []
        baseline_asset = Path(scratch) / "baseline"
        baseline_asset.mkdir()
        boto3_ms = (
            statistics.median(
                import_in_clean_interpreter(baseline_asset, module="boto3").seconds for _ in range(RUNS)
            )
            * 1000
        )
        print(f"cold_start.boto3_alone.import: {boto3_ms:.1f} ms")
        for function in function_names():
            asset = stage_function_asset(function, Path(scratch))
            samples = [import_in_clean_interpreter(asset, function=function) for _ in range(RUNS)]
            median_ms = statistics.median(sample.seconds for sample in samples) * 1000
            print(f"cold_start.{function}.import: {median_ms:.1f} ms")
            print(f"cold_start.{function}.vs_boto3: {median_ms / boto3_ms:.2f} x")
            print(f"cold_start.{function}.asset: {directory_size(asset) / 1024:.0f} KiB")
            print(f"cold_start.{function}.packages: {','.join(samples[0].packages)}")
            if median_ms > GOAL_MS:
                over_goal.append(function)
        print(f"cold_start.layer: {directory_size(HOST_LAYER) / 1024 / 1024:.1f} MiB")
        print(f"cold_start.over_{GOAL_MS}ms: {len(over_goal)} functions {' '.join(over_goal)}".rstrip())


if __name__ == "__main__":
    main()
