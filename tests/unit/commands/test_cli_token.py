"""`propdesk token` signs in through the API's sign-in route (the supported path; the pool's public client
has no password flow) and prints the ID token; a refusal prints the API's own message, never a token."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from propdesk.cli import main
from propdesk.commands import token
from propdesk.commands.token import local_api_url

SIGNED_IN = {"id_token": "id-1", "access_token": "a", "refresh_token": "r", "expires_in": 3600}
REFUSED = {"error": {"code": "unauthorized", "message": "wrong e-mail address or password"}}


@pytest.fixture()
def api_url(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The API's sign-in route, answered in-process (unit tests have no network): the right password signs
    in, any other is refused with the API's message."""
    requests.clear()

    def post_json(url: str, body: dict[str, str]) -> tuple[int, Any]:
        requests.append((url, body))
        ok = body["password"] == "Right-Passw0rd!"
        return (200, SIGNED_IN) if ok else (401, REFUSED)

    monkeypatch.setattr(token, "post_json", post_json)
    yield "http://127.0.0.1:4566/dev"


requests: list[tuple[str, dict[str, Any]]] = []


def test_the_token_comes_from_the_api_s_sign_in_route(
    api_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(
        ["token", "--email", "a@example.com", "--password", "Right-Passw0rd!", "--api-url", api_url]
    )

    assert status == 0
    assert capsys.readouterr().out.strip() == "id-1"
    sent = {"email": "a@example.com", "password": "Right-Passw0rd!"}
    assert requests == [("http://127.0.0.1:4566/dev/v1/auth/sign-in", sent)]


def test_a_refusal_prints_the_api_s_message_and_no_token(
    api_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(["token", "--email", "a@example.com", "--password", "wrong", "--api-url", api_url])

    printed = capsys.readouterr()
    assert status == 1
    assert printed.out == ""
    assert "wrong e-mail address or password" in printed.err


def test_the_local_cloud_s_api_is_found_from_make_dev_s_file(tmp_path: Path) -> None:
    dev_file = tmp_path / "dev.json"
    dev_file.write_text(
        json.dumps(
            {"endpoint": "http://127.0.0.1:4566", "outputs": {"RestApiId": "abc123", "RestApiStage": "dev"}}
        )
    )

    assert local_api_url(dev_file) == "http://127.0.0.1:4566/restapis/abc123/dev/_user_request_"
    assert local_api_url(tmp_path / "missing.json") is None
