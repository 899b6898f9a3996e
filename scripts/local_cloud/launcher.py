"""Run the ministack emulator on a clean interpreter, so Lambda workers see only their own code and layer.

ministack starts each Python Lambda worker with `sys.executable`. This launcher runs on an empty virtual
environment (`.local/runtime`) and puts the emulator's packages on *its own* `sys.path` only (not PYTHONPATH),
so the workers it spawns do not inherit them: a handler that imports something its layer lacks fails here
exactly as it would in AWS.

Usage: .local/runtime/bin/python launcher.py <ministack site-packages dir>
"""

import sys


def main() -> None:
    sys.path.append(sys.argv[1])
    del sys.argv[1]
    from ministack.app import main as run_ministack  # type: ignore[import-not-found]

    run_ministack()


if __name__ == "__main__":
    main()
