"""The `$connect` authorizer's answers: an Allow policy naming the token's subject and groups, or a Deny."""

from __future__ import annotations

from datetime import UTC, datetime

from propdesk.adapters.cognito_tokens import TokenRejectedError, VerifiedToken

from events import load_event
from functions.ws_authorizer import handler as ws_authorizer
from tests.doubles.ports import ManualClock
from tests.integration.invoke import LambdaContextStub

NOW = datetime(2026, 11, 25, 13, 0, tzinfo=UTC)


class StubVerifier:
    def __init__(self, verified: VerifiedToken | None) -> None:
        self.verified = verified
        self.seen: list[str] = []

    def verify(self, token: str, now: datetime) -> VerifiedToken:
        self.seen.append(token)
        if self.verified is None:
            raise TokenRejectedError("the token does not verify")
        return self.verified


def authorize(verified: VerifiedToken | None, event: dict[str, object] | None = None) -> dict[str, object]:
    deps = ws_authorizer.Dependencies(StubVerifier(verified), ManualClock(NOW))  # type: ignore[arg-type]
    request = event or load_event("websocket/authorizer_request")
    return ws_authorizer.process(request, LambdaContextStub(), deps)


def statement(answer: dict[str, object]) -> dict[str, str]:
    return answer["policyDocument"]["Statement"][0]  # type: ignore[index,no-any-return]


def test_a_verified_token_allows_the_connect_route_for_its_subject() -> None:
    verified = VerifiedToken("trader-1", frozenset({"support", "risk"}), "id", NOW, zoneinfo="Europe/Berlin")

    answer = authorize(verified)

    assert answer["principalId"] == "trader-1"
    assert statement(answer) == {
        "Action": "execute-api:Invoke",
        "Effect": "Allow",
        "Resource": "arn:aws:execute-api:us-east-1:123456789012:ws123/dev/$connect",
    }
    assert answer["context"] == {"groups": "risk,support", "token_use": "id", "zoneinfo": "Europe/Berlin"}


def test_a_rejected_token_is_denied() -> None:
    answer = authorize(None)

    assert answer["principalId"] == "anonymous"
    assert statement(answer)["Effect"] == "Deny"
    assert "context" not in answer


def test_a_missing_or_oversized_token_is_denied_without_verifying() -> None:
    missing = load_event("websocket/authorizer_request")
    missing["queryStringParameters"] = None
    oversized = load_event("websocket/authorizer_request")
    oversized["queryStringParameters"] = {"token": "x" * 9000}
    allowed = VerifiedToken("trader-1", frozenset(), "id", NOW)

    for event in (missing, oversized):
        assert statement(authorize(allowed, event))["Effect"] == "Deny"
