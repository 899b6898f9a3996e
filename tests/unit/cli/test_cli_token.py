"""`propdesk token` signs in through the API's sign-in route (the supported path; the pool's public client
has no password flow) and prints the ID token; a refusal prints the API's own message, never a token."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from propdesk.cli import main
from propdesk.commands.token import local_api_url

SIGNED_IN = {"id_token": "id-1", "access_token": "a", "refresh_token": "r", "expires_in": 3600}
REFUSED = {"error": {"code": "unauthorized", "message": "wrong e-mail address or password"}}


class _Api(BaseHTTPRequestHandler):
    requests: list[tuple[str, dict[str, Any]]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["content-length"])))
        _Api.requests.append((self.path, body))
        ok = body["password"] == "Right-Passw0rd!"
        answer = json.dumps(SIGNED_IN if ok else REFUSED).encode()
        self.send_response(200 if ok else 401)
        self.send_header("content-type", "application/json")
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture()
def api_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Api)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _Api.requests.clear()
    yield f"http://127.0.0.1:{server.server_address[1]}/dev"
    server.shutdown()


def test_the_token_comes_from_the_api_s_sign_in_route(
    api_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(
        ["token", "--email", "a@example.com", "--password", "Right-Passw0rd!", "--api-url", api_url]
    )

    assert status == 0
    assert capsys.readouterr().out.strip() == "id-1"
    sent = {"email": "a@example.com", "password": "Right-Passw0rd!"}
    assert _Api.requests == [("/dev/v1/auth/sign-in", sent)]


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
