"""Sign-up and sign-in: what a client sends to /v1/auth/* and the tokens it gets back."""

from __future__ import annotations

from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BeforeValidator, Field, field_validator

from propdesk.abuse.sign_up import DISPLAY_NAME_MAX_LENGTH, DISPLAY_NAME_MIN_LENGTH, DISPLAY_NAME_PATTERN
from propdesk.http.schemas.common import RequestModel, ResponseModel


def _normalized(value: object) -> object:
    """E-mail addresses are compared (and rate limited) trimmed and in lower case."""
    return value.strip().lower() if isinstance(value, str) else value


Email = Annotated[
    str,
    BeforeValidator(_normalized),
    Field(
        min_length=3,
        max_length=254,
        pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
        examples=["trader@example.com"],
        description="Trimmed and compared in lower case.",
    ),
]
Password = Annotated[str, Field(min_length=1, max_length=256, description="Never echoed or logged.")]


class SignInRequest(RequestModel):
    email: Email
    password: Password


class RefreshRequest(RequestModel):
    refresh_token: str = Field(min_length=1, max_length=8192)


class SignUpRequest(RequestModel):
    email: Email
    password: Password = Field(
        description="The pool's policy: 12 characters or more, upper and lower case, a digit and a symbol."
    )
    display_name: str | None = Field(
        default=None,
        min_length=DISPLAY_NAME_MIN_LENGTH,
        max_length=DISPLAY_NAME_MAX_LENGTH,
        pattern=DISPLAY_NAME_PATTERN,
        description="Stored as the Cognito `name` attribute; the rules of `PUT /v1/me`'s display name.",
    )
    zoneinfo: str | None = Field(
        default=None, max_length=64, description="An IANA zone (e.g. `Europe/London`): metrics show day "
        "boundaries in it."
    )  # fmt: skip

    @field_validator("zoneinfo")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("not a known IANA time zone") from None
        return value


class ConfirmRequest(RequestModel):
    email: Email
    code: str = Field(pattern=r"^[0-9]{4,10}$", description="The code e-mailed at sign-up.")


class SignedIn(ResponseModel):
    id_token: str = Field(description="Send it as `Authorization: <id_token>` to the signed-in routes.")
    access_token: str
    refresh_token: str = Field(description="Trade it for new tokens at POST /v1/auth/refresh.")
    expires_in: int = Field(description="Seconds the ID and access tokens are valid.")


class TokensRefreshed(ResponseModel):
    id_token: str
    access_token: str
    expires_in: int = Field(description="Seconds the new tokens are valid; keep using the refresh token.")


class SignUpAccepted(ResponseModel):
    message: str = Field(
        description="The same whether or not the address had signed up before (no account enumeration)."
    )


class Confirmed(ResponseModel):
    message: str
