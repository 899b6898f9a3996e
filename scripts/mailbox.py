"""`.venv/bin/python -m scripts.mailbox`: the local cloud's mailbox, every e-mail its SES was given (the
stack's mail to traders, Cognito's confirmation codes), oldest first.

    .venv/bin/python -m scripts.mailbox                 # one line per message: when, to, subject
    .venv/bin/python -m scripts.mailbox --show 1        # the text of the latest message (2: the one before)
    .venv/bin/python -m scripts.mailbox --to trader@demo.propdesk.local

It reads `GET {local cloud}/_ministack/ses/messages`; the local cloud is the one `make dev` runs (its endpoint
in `.local/dev.json`), or `--endpoint URL`. Standard library only: it runs from the clone's root as printed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

DEV_FILE = Path(".local/dev.json")


def default_endpoint() -> str:
    if DEV_FILE.exists():
        return str(json.loads(DEV_FILE.read_text())["endpoint"])
    return f"http://127.0.0.1:{os.environ.get('LOCAL_CLOUD_PORT', '4566')}"


def messages(endpoint: str) -> list[dict[str, Any]]:
    """Every recorded message, oldest first."""
    url = f"{endpoint.rstrip('/')}/_ministack/ses/messages"
    with urllib.request.urlopen(url, timeout=10) as answer:  # noqa: S310 - the local cloud on loopback
        by_account: dict[str, list[dict[str, Any]]] = json.load(answer)["messages"]
    found = [message for account in by_account.values() for message in account]
    return sorted(found, key=lambda message: float(message.get("Timestamp") or 0))


def line(message: dict[str, Any]) -> str:
    when = datetime.fromtimestamp(float(message.get("Timestamp") or 0), tz=UTC)
    to = ", ".join(message.get("To") or [])
    return f"{when:%Y-%m-%d %H:%M:%S}Z  {to}  {message.get('Subject', '')}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.mailbox", description=__doc__.split("\n")[0])
    parser.add_argument("--to", help="only messages to this address")
    parser.add_argument("--show", type=int, metavar="N", help="print the text of the Nth latest message")
    parser.add_argument("--endpoint", help="the local cloud (default: the one `make dev` runs)")
    args = parser.parse_args(argv)
    try:
        found = messages(args.endpoint or default_endpoint())
    except (urllib.error.URLError, OSError) as error:
        print(f"mailbox: the local cloud does not answer ({error}); is `make dev` running?", file=sys.stderr)
        return 1
    if args.to:
        found = [message for message in found if args.to in (message.get("To") or [])]
    if args.show:
        if args.show > len(found):
            print(f"mailbox: only {len(found)} message(s)", file=sys.stderr)
            return 1
        message = found[-args.show]
        print(f"{line(message)}\nFrom: {message.get('Source', '')}\n\n{message.get('BodyText', '')}")
        return 0
    for message in found:
        print(line(message))
    if not found:
        print("(no messages yet)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
