"""A platform's push socket, faked: a WebSocket server whose clients subscribe to accounts and receive JSON
messages about them, with the server's heartbeats and the faults a connector must survive. The DXtrade and
Match-Trader fakes serve their push channels through it (each decides what a message says).

- `handle(client, message)`: the fake's reader of what a client sends (a subscription, a heartbeat answer);
  it may `send` back and put account ids into `client.accounts`.
- `publish(account, message)`: to every live client subscribed to `account`.
- Heartbeats: `heartbeat()` (the fake's message) goes to every client every `heartbeat_interval`; a client
  that sends nothing for `client_timeout` is dropped (0: never).
- Faults: `drop_connections()` (sockets closed without a close frame), `refuse_connections`,
  `stop_heartbeats`. The `websockets` package is a development dependency (as for the cTrader fake).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class PushClient:
    number: int
    connection: Any
    last_heard: float
    accounts: set[str] = field(default_factory=set)
    alive: bool = True
    state: dict[str, Any] = field(default_factory=dict)  # the fake's own (a session token)


class PushSocket:
    def __init__(
        self,
        handle: Callable[[PushClient, dict[str, Any]], None],
        heartbeat: Callable[[], dict[str, Any]] | None,
        heartbeat_interval: float = 10.0,
        client_timeout: float = 0.0,
    ) -> None:
        self._handle = handle
        self._heartbeat = heartbeat
        self.heartbeat_interval = heartbeat_interval
        self.client_timeout = client_timeout
        self.refuse_connections = False
        self.stop_heartbeats = False
        self.connections_opened = 0
        self._clients: list[PushClient] = []
        self._numbers = itertools.count(1)
        self._lock = threading.RLock()
        self._stopped = threading.Event()
        self._server: Any = None

    # ---- serving ----
    def start(self, port: int = 0) -> str:
        from websockets.sync.server import serve

        self._stopped.clear()
        self._server = serve(self._serve, "127.0.0.1", port, ping_interval=None, compression=None)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        threading.Thread(target=self._beat, daemon=True).start()
        return self.url

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the push socket is not started")
        host, port = self._server.socket.getsockname()[:2]
        return f"ws://{host}:{port}"

    def stop(self) -> None:
        self._stopped.set()
        self.drop_connections()
        if self._server is not None:
            self._server.shutdown()
            self._server = None

    # ---- what the fake does ----
    def send(self, client: PushClient, message: dict[str, Any]) -> None:
        try:
            client.connection.send(json.dumps(message, default=str))
        except Exception:  # a client gone mid-send is dropped, nothing more
            self._drop(client)

    def publish(self, account: str, message: dict[str, Any]) -> int:
        """Send `message` to every live client subscribed to `account`; how many received it."""
        with self._lock:
            clients = [c for c in self._clients if c.alive and account in c.accounts]
        for client in clients:
            self.send(client, message)
        return len(clients)

    # ---- faults ----
    def drop_connections(self) -> None:
        """Close every socket abruptly (no close frame), as a network failure would."""
        with self._lock:
            clients, self._clients = self._clients, []
        for client in clients:
            _abort(client)

    def subscribed(self) -> set[str]:
        """The accounts some live client is subscribed to."""
        with self._lock:
            return {account for client in self._clients if client.alive for account in client.accounts}

    @property
    def open_connections(self) -> int:
        with self._lock:
            return sum(1 for client in self._clients if client.alive)

    # ---- internals ----
    def _serve(self, connection: Any) -> None:
        if self.refuse_connections:
            connection.close()
            return
        with self._lock:
            client = PushClient(next(self._numbers), connection, time.monotonic())
            self._clients.append(client)
            self.connections_opened += 1
        try:
            for raw in connection:
                client.last_heard = time.monotonic()
                try:
                    message = json.loads(raw)
                except ValueError:
                    continue
                if isinstance(message, dict):
                    self._handle(client, message)
        except Exception:  # noqa: S110 - a client going away mid-frame ends its session, nothing more
            pass
        finally:
            self._drop(client)

    def _beat(self) -> None:
        tick = min(self.heartbeat_interval, self.client_timeout or self.heartbeat_interval) / 4
        last_beat = time.monotonic()
        while not self._stopped.wait(tick):
            now = time.monotonic()
            with self._lock:
                clients = list(self._clients)
            if self.client_timeout:
                for client in clients:
                    if now - client.last_heard > self.client_timeout:
                        self._drop(client)
            if now - last_beat >= self.heartbeat_interval:
                last_beat = now
                if self._heartbeat is not None and not self.stop_heartbeats:
                    for client in clients:
                        if client.alive:
                            self.send(client, self._heartbeat())

    def _drop(self, client: PushClient) -> None:
        with self._lock:
            if client in self._clients:
                self._clients.remove(client)
        _abort(client)


def _abort(client: PushClient) -> None:
    client.alive = False
    sock = getattr(client.connection, "socket", None)
    with contextlib.suppress(OSError):
        if sock is not None:
            sock.shutdown(socket.SHUT_RDWR)
            sock.close()
