"""The `propdesk` console command: tools for support staff and operators.

Each subcommand lives in its own module and registers itself here.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="propdesk", description="propdesk operator tools")
    subcommands = parser.add_subparsers(dest="command", required=True)
    from propdesk.commands import evaluate, token

    evaluate.register(subcommands)
    token.register(subcommands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    result: int = args.run(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
