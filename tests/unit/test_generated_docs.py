"""Generated documents match the code they are generated from."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_event_catalogue_document_matches_the_schemas() -> None:
    check = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "event_catalogue.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )

    assert check.returncode == 0, check.stderr
