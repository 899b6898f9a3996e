"""`propdesk token`: sign in to the firm's Cognito user pool and print an ID token (for the REST API's
`Authorization` header). Against AWS, pass `--client-id` (and `--region`); after `make dev` the local cloud's
client and endpoint are read from `.local/dev.json`.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

LOCAL_DEV_FILE = Path(".local/dev.json")


def register(subcommands: Any) -> None:
    parser = subcommands.add_parser("token", help="sign in and print an ID token")
    parser.add_argument("--email", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--client-id", help="the user pool's app client (default: the local cloud's)")
    parser.add_argument("--endpoint-url", help="a local cloud's endpoint (default: the local one, if any)")
    parser.add_argument("--region", default="us-east-1")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    client_id, endpoint_url = args.client_id, args.endpoint_url
    if LOCAL_DEV_FILE.exists() and not client_id:
        local = json.loads(LOCAL_DEV_FILE.read_text())
        client_id = local["outputs"]["UserPoolClientId"]
        endpoint_url = endpoint_url or local["endpoint"]
    if not client_id:
        print("propdesk token: --client-id is required (no local cloud found)", file=sys.stderr)
        return 2
    options: dict[str, Any] = {"region_name": args.region}
    if endpoint_url:
        options.update(endpoint_url=endpoint_url, aws_access_key_id="test", aws_secret_access_key="test")  # noqa: S106
    cognito = boto3.client("cognito-idp", **options)
    try:
        answer = cognito.initiate_auth(
            AuthFlow="USER_PASSWORD_AUTH",
            ClientId=client_id,
            AuthParameters={"USERNAME": args.email, "PASSWORD": args.password},
        )
    except (ClientError, BotoCoreError) as error:
        print(f"propdesk token: sign-in failed: {error}", file=sys.stderr)
        return 1
    print(answer["AuthenticationResult"]["IdToken"])
    return 0
