"""REST, public: sign-up and sign-in through our API, so that our limits stand in front of Cognito.

- `POST /v1/auth/sign-in` `{email, password}` → Cognito tokens (AdminInitiateAuth, ADMIN_USER_PASSWORD_AUTH on
  the pool's server-side client); wrong credentials 401 with one message whether or not the address has an
  account; an unconfirmed address 403;
- `POST /v1/auth/refresh` `{refresh_token}` → new ID and access tokens;
- `POST /v1/auth/sign-up` `{email, password, display_name?, zoneinfo?}` → 202 (the same answer when the
  address is taken); a disposable e-mail service or a display name `PUT /v1/me` would refuse is a 422 on its
  field (the pool's pre-sign-up trigger applies the same rules to sign-ups sent straight to Cognito);
  `POST /v1/auth/confirm` `{email, code}` → the address confirmed.

Cognito's threat protection is told who the caller is (source IP, host, path, User-Agent), not our function.

A sign-in and a token refresh (each open dashboard refreshes about hourly: the trader's API use) record the
trader's source IP and the dashboard's device fingerprint (header `X-Device-Fingerprint`) as identity
signals for the abuse detectors (`propdesk.abuse.signals`: keyed hashes, one per value and day; a failure
to record never fails the sign-in). The trader is the ID token's subject, as Cognito just issued it.

Every route is limited per source IP, sign-in and confirmation also per e-mail address: 429 + Retry-After.
Cognito's own throttling is a 429 too; Cognito unreachable a 503 with Retry-After. Passwords are never
logged or echoed; the limiter keys hold a hash of the e-mail address, not the address.
"""

from __future__ import annotations

import functools
import hashlib
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from propdesk.abuse.sign_up import sign_up_refusal
from propdesk.abuse.signals import NoSignals, SignalSink
from propdesk.config import AuthApiSettings
from propdesk.errors import InvalidInputError
from propdesk.http.app import build_rest_app, resolve
from propdesk.http.errors import answer_unavailable
from propdesk.http.routing import Call, route
from propdesk.http.schemas import auth as schema
from propdesk.observability import observe
from propdesk.ports import CallerContext, IdentityProviderUnavailableError
from propdesk.services.rate_limits import RateLimit, RateLimiter

if TYPE_CHECKING:
    from datetime import datetime

    from propdesk.ports import Clock, IdentityProvider, SessionTokens

# Per e-mail address: a person mistyping a password tries a few times; five guesses per five minutes makes
# guessing one account's password hopeless (about 1,400 a day) without locking out its owner for long.
SIGN_IN_PER_EMAIL = RateLimit(limit=5, window_seconds=300)
# Per source IP: one office or mobile carrier NAT holds many traders signing in around the market open, so
# the IP limit is looser; it stops one machine spraying passwords over many addresses.
SIGN_IN_PER_IP = RateLimit(limit=30, window_seconds=300)
# Each open dashboard refreshes about once an hour; sixty per five minutes covers a busy shared address.
REFRESH_PER_IP = RateLimit(limit=60, window_seconds=300)
# Sign-ups send e-mail (cost, sender reputation): ten per hour per address is plenty for a household.
SIGN_UP_PER_IP = RateLimit(limit=10, window_seconds=3600)
# A 6-digit code must not be guessable: five tries per address per five minutes, twenty per IP.
CONFIRM_PER_EMAIL = RateLimit(limit=5, window_seconds=300)
CONFIRM_PER_IP = RateLimit(limit=20, window_seconds=300)
OUTAGE_RETRY_AFTER_SECONDS = 5
UNKNOWN_SOURCE = "unknown"  # no source IP (never from API Gateway): all such calls share one allowance
DEVICE_HEADER = "x-device-fingerprint"  # the dashboard's device fingerprint (an opaque id it computes)

app = build_rest_app()
answer_unavailable(app, IdentityProviderUnavailableError, OUTAGE_RETRY_AFTER_SECONDS)


@dataclass(frozen=True)
class Dependencies:
    identity: IdentityProvider
    rate_limiter: RateLimiter
    clock: Clock
    signals: SignalSink = field(default_factory=NoSignals)


@functools.cache
def production_dependencies() -> Dependencies:
    settings = AuthApiSettings.from_env(os.environ)
    from propdesk.adapters.clock import SystemClock
    from propdesk.adapters.cognito_auth import CognitoIdentityProvider
    from propdesk.data.binding import TableBinding, bind_tables
    from propdesk.data.rate_limits import DynamoWindowCounter

    bind_tables(TableBinding(settings.table_name, None, settings.aws_region, settings.aws_endpoint_url))
    identity = CognitoIdentityProvider(
        settings.user_pool_id, settings.user_pool_client_id, settings.aws_region, settings.aws_endpoint_url
    )
    from propdesk.wiring.abuse import signal_sink

    return Dependencies(identity, RateLimiter(DynamoWindowCounter()), SystemClock(), signal_sink(settings))


def _deps() -> Dependencies:
    deps: Dependencies = app.context["deps"]
    return deps


@route(app, "signIn")
def sign_in(call: Call) -> schema.SignedIn:
    request = call.body_as(schema.SignInRequest)
    _limit(call, "signIn.ip", _source_ip(), SIGN_IN_PER_IP)
    _limit(call, "signIn.email", _hashed(request.email), SIGN_IN_PER_EMAIL)
    tokens = _deps().identity.sign_in(request.email, request.password, _caller())
    _record_signals(tokens, call.now)
    return schema.SignedIn(
        id_token=tokens.id_token,
        access_token=tokens.access_token,
        refresh_token=tokens.refresh_token or "",
        expires_in=tokens.expires_in,
    )


@route(app, "refreshTokens")
def refresh_tokens(call: Call) -> schema.TokensRefreshed:
    request = call.body_as(schema.RefreshRequest)
    _limit(call, "refresh.ip", _source_ip(), REFRESH_PER_IP)
    tokens = _deps().identity.refresh(request.refresh_token)
    _record_signals(tokens, call.now)
    return schema.TokensRefreshed(
        id_token=tokens.id_token, access_token=tokens.access_token, expires_in=tokens.expires_in
    )


@route(app, "signUp")
def sign_up(call: Call) -> schema.SignUpAccepted:
    request = call.body_as(schema.SignUpRequest)
    _limit(call, "signUp.ip", _source_ip(), SIGN_UP_PER_IP)
    named = {"name": request.display_name, "zoneinfo": request.zoneinfo}
    attributes = {name: value for name, value in named.items() if value}
    refusal = sign_up_refusal(request.email, attributes)
    if refusal is not None:
        raise InvalidInputError(refusal.message, refusal.field)
    _deps().identity.sign_up(request.email, request.password, attributes, _caller())
    return schema.SignUpAccepted(
        message="If this address can be signed up, a confirmation code is on its way to it: "
        "send it to POST /v1/auth/confirm, then sign in."
    )


@route(app, "confirmSignUp")
def confirm_sign_up(call: Call) -> schema.Confirmed:
    request = call.body_as(schema.ConfirmRequest)
    _limit(call, "confirm.ip", _source_ip(), CONFIRM_PER_IP)
    _limit(call, "confirm.email", _hashed(request.email), CONFIRM_PER_EMAIL)
    _deps().identity.confirm_sign_up(request.email, request.code, _caller())
    return schema.Confirmed(message="Your e-mail address is confirmed: sign in at POST /v1/auth/sign-in.")


# ---- helpers


def _limit(call: Call, action: str, identity: str, rule: RateLimit) -> None:
    _deps().rate_limiter.hit(action, identity, rule, call.now)


def _source_ip() -> str:
    context = app.current_event.raw_event.get("requestContext") or {}
    source = (context.get("identity") or {}).get("sourceIp")
    return source if isinstance(source, str) and source else UNKNOWN_SOURCE


def _caller() -> CallerContext:
    """Who is calling, as API Gateway saw it (the source IP is API Gateway's, not a header the client
    sets)."""
    raw = app.current_event.raw_event
    context = raw.get("requestContext") or {}
    headers = {str(name).lower(): str(value) for name, value in (raw.get("headers") or {}).items()}
    source = _source_ip()
    return CallerContext(
        source_ip=None if source == UNKNOWN_SOURCE else source,
        server_name=str(context.get("domainName") or headers.get("host") or ""),
        server_path=str(context.get("path") or raw.get("path") or ""),
        headers=tuple((name, headers[name]) for name in ("user-agent", "accept-language") if name in headers),
    )


def _record_signals(tokens: SessionTokens, now: datetime) -> None:
    """The signed-in trader's source IP and device as identity signals (nothing when either is unknown)."""
    trader_id = _subject(tokens.id_token)
    if trader_id is None:
        return
    signals = _deps().signals
    source = _source_ip()
    if source != UNKNOWN_SOURCE:
        signals.capture(trader_id, "ip", source, now)
    headers = app.current_event.raw_event.get("headers") or {}
    device = next((str(v) for k, v in headers.items() if str(k).lower() == DEVICE_HEADER and v), None)
    if device:
        signals.capture(trader_id, "device", device, now)


def _subject(id_token: str) -> str | None:
    """The `sub` claim of a token Cognito handed us just now over our own authenticated call (so read, not
    verified again); None when it cannot be read."""
    import base64
    import json

    try:
        body = id_token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except (IndexError, ValueError):
        return None
    subject = claims.get("sub") if isinstance(claims, dict) else None
    return subject if isinstance(subject, str) and subject else None


def _hashed(email: str) -> str:
    """The limiter's key for an address: stable, but no personal data in the table's keys."""
    return hashlib.sha256(email.encode()).hexdigest()[:32]


def process(event: dict[str, Any], context: LambdaContext, deps: Dependencies) -> dict[str, Any]:
    app.context["deps"] = deps
    app.context["now"] = deps.clock.now()
    return resolve(app, event, context)


@observe
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process(event, context, production_dependencies())
