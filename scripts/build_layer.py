"""Build the Lambda dependency layer from layers/dependencies/requirements.txt.

`arm64` builds the layer that `cdk deploy` ships to AWS (manylinux aarch64 wheels for the Lambda
runtime's Python); `host` builds the same pinned packages for this machine, for the local cloud, whose
Lambda workers run on this machine's interpreter. A build is skipped when the requirements have not
changed since the last one.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REQUIREMENTS = ROOT / "layers" / "dependencies" / "requirements.txt"
LAMBDA_PYTHON_VERSION = "3.13"

TARGETS = {
    "arm64": [
        "--platform",
        "manylinux2014_aarch64",
        "--implementation",
        "cp",
        "--python-version",
        LAMBDA_PYTHON_VERSION,
        "--only-binary=:all:",
    ],
    "host": ["--only-binary=:all:"],
}


def build(target: str, python: str) -> Path:
    out = ROOT / ".build" / "layer" / target
    stamp = out / ".requirements.sha256"
    digest = hashlib.sha256(REQUIREMENTS.read_bytes() + " ".join(TARGETS[target]).encode()).hexdigest()
    if stamp.exists() and stamp.read_text() == digest:
        print(f"layer {target}: up to date ({out})")
        return out
    shutil.rmtree(out, ignore_errors=True)
    site = out / "python"
    site.mkdir(parents=True)
    subprocess.run(
        [
            python,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-compile",
            "--target",
            str(site),
            "-r",
            str(REQUIREMENTS),
            *TARGETS[target],
        ],
        check=True,
    )
    for cache in site.rglob("__pycache__"):
        shutil.rmtree(cache, ignore_errors=True)
    stamp.write_text(digest)
    print(f"layer {target}: built ({out})")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("targets", nargs="+", choices=sorted(TARGETS))
    args = parser.parse_args()
    for target in args.targets:
        build(target, sys.executable)


if __name__ == "__main__":
    main()
