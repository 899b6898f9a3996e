"""`propdesk token`: sign in through the firm's API (`POST /v1/auth/sign-in`, the route traders use, behind
its limits) and print the ID token (for the REST API's `Authorization` header).

Against AWS, pass `--api-url` (the stage's URL, e.g. `https://abc123.execute-api.eu-west-1.amazonaws.com/prod`);
after `make dev` the local cloud's API is read from `.local/dev.json`. The pool's public client has no
password flow (SRP only), so this is the supported way to get a token from a password on the command line.
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

LOCAL_DEV_FILE = Path(".local/dev.json")
TIMEOUT_SECONDS = 30


def register(subcommands: Any) -> None:
    parser = subcommands.add_parser("token", help="sign in through the API and print an ID token")
    parser.add_argument("--email", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--api-url", help="the REST API's base URL (default: the local cloud's, if any)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    api_url = args.api_url or local_api_url(LOCAL_DEV_FILE)
    if not api_url:
        print("propdesk token: --api-url is required (no local cloud found)", file=sys.stderr)
        return 2
    status, answer = post_json(
        f"{api_url.rstrip('/')}/v1/auth/sign-in", {"email": args.email, "password": args.password}
    )
    if status != 200 or not isinstance(answer, dict) or "id_token" not in answer:
        error = answer.get("error", {}) if isinstance(answer, dict) else {}
        message = error.get("message") or f"the API answered {status}"
        print(f"propdesk token: sign-in failed: {message}", file=sys.stderr)
        return 1
    print(answer["id_token"])
    return 0


def local_api_url(dev_file: Path) -> str | None:
    """The local cloud's REST API (`make dev` writes its endpoint and the stack's outputs to `dev_file`)."""
    if not dev_file.exists():
        return None
    local = json.loads(dev_file.read_text())
    outputs = local["outputs"]
    return f"{local['endpoint']}/restapis/{outputs['RestApiId']}/{outputs['RestApiStage']}/_user_request_"


def post_json(url: str, body: dict[str, str]) -> tuple[int, Any]:
    if not url.startswith(("https://", "http://")):
        raise ValueError(f"not an HTTP(S) URL: {url}")
    request = urllib.request.Request(  # noqa: S310 - the scheme is checked above
        url, data=json.dumps(body).encode(), method="POST", headers={"content-type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            raw, status = response.read(), response.status
    except urllib.error.HTTPError as error:
        raw, status = error.read(), error.code
    except urllib.error.URLError as error:
        return 0, {"error": {"message": f"the API cannot be reached ({error.reason})"}}
    try:
        return status, json.loads(raw) if raw else None
    except ValueError:
        return status, None
