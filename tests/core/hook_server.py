"""A real local HTTP server (stdlib, in a thread) that receives webhooks, and a socket that never answers."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from tests.http_server import QuietHandler, serving


@dataclass
class Received:
    """What the server got, and the statuses it answers with, in order (the last one repeats)."""

    statuses: list[int] = field(default_factory=lambda: [200])
    bodies: list[bytes] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)

    def json(self, i: int = -1) -> Any:
        return json.loads(self.bodies[i])


@contextmanager
def webhook_server(*statuses: int) -> Iterator[tuple[str, Received]]:
    """Serve on 127.0.0.1:<free port>; yields (base url, Received)."""
    received = Received(list(statuses) or [200])

    class Handler(QuietHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            n = len(received.bodies)
            received.bodies.append(body)
            received.headers.append({k.lower(): v for k, v in self.headers.items()})
            received.paths.append(self.path)
            self.send_body(received.statuses[min(n, len(received.statuses) - 1)], b"ok", "text/plain")

    with serving(Handler) as server:
        yield server.base_url, received


@contextmanager
def silent_server() -> Iterator[str]:
    """A listening socket that accepts connections (the kernel does) but never answers."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        sock.close()
