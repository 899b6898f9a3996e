"""WebSocket `$connect` authorizer (REQUEST type, identity source `route.request.querystring.token`).

Browsers cannot set an Authorization header on the WebSocket upgrade, so the client passes its Cognito ID or
access token as `?token=`. A verified token allows the connection with the token's subject as principal and
its groups (staff roles) in the context; anything else is denied (the gateway answers 403; a missing token
never reaches here: the gateway answers 401).
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from propdesk.config import WsAuthorizerSettings
from propdesk.observability import logger, observe

if TYPE_CHECKING:
    from propdesk.adapters.cognito_tokens import CognitoTokenVerifier
    from propdesk.ports import Clock

ANONYMOUS = "anonymous"


@dataclass(frozen=True)
class Dependencies:
    verifier: CognitoTokenVerifier
    clock: Clock


@functools.cache
def production_dependencies() -> Dependencies:
    settings = WsAuthorizerSettings.from_env(os.environ)
    from propdesk.adapters.clock import SystemClock
    from propdesk.adapters.cognito_tokens import CognitoTokenVerifier

    verifier = CognitoTokenVerifier(settings.issuer(), settings.client_ids(), settings.jwks_url())
    return Dependencies(verifier, SystemClock())


def policy(
    principal: str, effect: str, resource: str, context: dict[str, str] | None = None
) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "principalId": principal,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": effect, "Resource": resource}],
        },
    }
    if context:
        answer["context"] = context
    return answer


def process(event: dict[str, Any], context: LambdaContext, deps: Dependencies) -> dict[str, Any]:
    from propdesk.adapters.cognito_tokens import TokenRejectedError

    resource = str(event.get("methodArn") or "*")
    token = (event.get("queryStringParameters") or {}).get("token")
    if not isinstance(token, str) or not token or len(token) > 8192:
        return policy(ANONYMOUS, "Deny", resource)
    try:
        verified = deps.verifier.verify(token, deps.clock.now())
    except TokenRejectedError as rejected:
        logger.info("connection refused", extra={"reason": str(rejected)})
        return policy(ANONYMOUS, "Deny", resource)
    claims = {"groups": ",".join(sorted(verified.groups)), "token_use": verified.token_use}
    if verified.zoneinfo:
        claims["zoneinfo"] = verified.zoneinfo
    return policy(verified.subject, "Allow", resource, claims)


@observe
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process(event, context, production_dependencies())
