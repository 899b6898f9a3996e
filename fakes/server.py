"""A tiny threaded JSON HTTP server with a route table; the fakes subclass `FakeService`."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    target: str = ""  # the request line's target exactly as sent (path and query), for signatures over it

    def json(self) -> Any:
        return json.loads(self.body or b"{}")

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass
class Reply:
    """A JSON answer; a `bytes` body goes out as it is, typed by its `Content-Type` header (an HTML page)."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


Route = Callable[..., Reply]


class HttpError(Exception):
    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        super().__init__(status)
        self.reply = Reply(status, body, headers or {})


DROP = 0  # a reply status meaning: close the connection without answering


class FakeService:
    """Routes `(METHOD, regex)` to methods; `fail_next(n, status)` makes the next n API calls fail before
    doing anything; `fail_after_next(method, pattern, ...)` lets the next matching call do its work and then
    answers an error, answers too late or not at all (the ambiguous failures a client must survive)."""

    def __init__(self) -> None:
        self._routes: list[tuple[str, re.Pattern[str], Route]] = []
        self._lock = threading.RLock()
        self._failures: list[int] = []
        self._after: list[tuple[str, re.Pattern[str], int | str, float]] = []
        self.requests: list[Request] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ---- wiring ----
    def route(self, method: str, pattern: str, handler: Route) -> None:
        self._routes.append((method, re.compile(f"^{pattern}$"), handler))

    def fail_next(self, count: int = 1, status: int = 503) -> None:
        with self._lock:
            self._failures.extend([status] * count)

    def fail_after_next(
        self, method: str, pattern: str, outcome: int | str = 503, delay: float = 1.0
    ) -> None:
        """The next `method` call on a path matching `pattern` is carried out, then answered with status
        `outcome` (e.g. 503), or with `outcome="timeout"` answered only after `delay` seconds (longer than the
        client's timeout), or with `outcome="drop"` not answered at all (the connection is closed)."""
        with self._lock:
            self._after.append((method, re.compile(f"^{pattern}$"), outcome, delay))

    def dispatch(self, request: Request) -> Reply:
        with self._lock:
            self.requests.append(request)
            if self._failures:
                status = self._failures.pop(0)
                return Reply(status, {"error": {"message": f"injected failure {status}"}})
        reply = self._route(request)
        after = self._take_after(request) if reply.status < 400 else None
        if after is None:
            return reply
        outcome, delay = after
        if outcome == "timeout":
            time.sleep(delay)  # outside the lock: other calls go on meanwhile
            return reply
        if outcome == "drop":
            return Reply(DROP)
        return Reply(int(outcome), {"error": {"message": f"injected failure {outcome} after the work"}})

    def _route(self, request: Request) -> Reply:
        for method, pattern, handler in self._routes:
            match = pattern.match(request.path)
            if match and method == request.method:
                try:
                    with self._lock:
                        return handler(request, *match.groups())
                except HttpError as error:
                    return error.reply
        return Reply(404, {"error": {"message": f"no route for {request.method} {request.path}"}})

    def _take_after(self, request: Request) -> tuple[int | str, float] | None:
        with self._lock:
            for index, (method, pattern, outcome, delay) in enumerate(self._after):
                if method == request.method and pattern.match(request.path):
                    del self._after[index]
                    return outcome, delay
        return None

    # ---- serving ----
    def start(self, port: int = 0) -> str:
        service = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out as separate writes

            def _serve(self) -> None:
                url = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                request = Request(
                    method=self.command,
                    path=url.path,
                    query=dict(parse_qsl(url.query, keep_blank_values=True)),
                    headers={name.lower(): value for name, value in self.headers.items()},
                    body=self.rfile.read(length) if length else b"",
                    target=self.path,
                )
                reply = service.dispatch(request)
                if reply.status == DROP:
                    self.close_connection = True
                    self.connection.shutdown(2)  # the client sees the connection reset, no answer
                    return
                headers = dict(reply.headers)
                if isinstance(reply.body, bytes):
                    payload = reply.body
                    content_type = headers.pop("Content-Type", "application/octet-stream")
                else:
                    payload = b"" if reply.body is None else json.dumps(reply.body).encode()
                    content_type = "application/json"
                self.send_response(reply.status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(payload)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve  # noqa: N815

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()
        return self.url

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the fake is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeService:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
