"""Cognito pre-sign-up trigger: the rules of our sign-up route, applied to every sign-up the pool receives.

The pool's public app client (the dashboard's) can be called directly, around our API. This trigger refuses
there what `POST /v1/auth/sign-up` refuses (`propdesk.abuse.sign_up`: a disposable e-mail service, a display
name `PUT /v1/me` would refuse, an unknown zone). Cognito turns the raised error into
`UserLambdaValidationException` with our message, which names the field (`refused field=<field>: <why>`).

Self sign-ups (`PreSignUp_SignUp`) and federated ones (`PreSignUp_ExternalProvider`) are checked; users an
administrator creates (`PreSignUp_AdminCreateUser`: staff, seeds) are the firm's own decision. Nothing is
logged about the person: the e-mail address and name stay out of the logs.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from propdesk.abuse.sign_up import sign_up_refusal
from propdesk.config import PreSignUpSettings
from propdesk.observability import logger, observe
from propdesk.purchases.fraud import DISPOSABLE_DOMAINS

CHECKED_SOURCES = frozenset({"PreSignUp_SignUp", "PreSignUp_ExternalProvider"})


class SignUpRefusedError(Exception):
    """Raised to Cognito, which refuses the sign-up with this message."""


@dataclass(frozen=True)
class Dependencies:
    disposable_domains: frozenset[str]


@functools.cache
def production_dependencies() -> Dependencies:
    settings = PreSignUpSettings.from_env(os.environ)
    return Dependencies(DISPOSABLE_DOMAINS | settings.disposable_domains)


def process(event: dict[str, Any], context: LambdaContext, deps: Dependencies) -> dict[str, Any]:
    """The event back unchanged when the sign-up may go ahead (Cognito reads `response` from it)."""
    source = str(event.get("triggerSource") or "")
    if source not in CHECKED_SOURCES:
        return event
    request = event.get("request") or {}
    attributes = {
        str(name): str(value)
        for name, value in (request.get("userAttributes") or {}).items()
        if isinstance(value, str)
    }
    email = attributes.get("email", "").strip().lower()
    refusal = sign_up_refusal(email, attributes, deps.disposable_domains)
    if refusal is not None:
        logger.info("sign-up refused", extra={"trigger": source, "field": refusal.field})
        raise SignUpRefusedError(refusal.wire())
    return event


@observe
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process(event, context, production_dependencies())
