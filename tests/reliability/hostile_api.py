"""A small hostile fake of the Batches API on 127.0.0.1, for misbehaviour the emulator never shows.

It serves `GET /v1/messages/batches[/{id}[/results]]` from what a test put in it: batch objects
(ended, with the `request_counts` and `results_url` the test chose) and, per batch, a function
that writes the results response (a plain body, a gzip bomb, a trickle, a redirect, a body that
waits for the test before going on or being cut). Every request is recorded with its headers.
Any batch id is answered, even one no real API would give (`msgbatch_../../x`).
"""

from __future__ import annotations

import gzip
import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

BodyWriter = Callable[["Handler"], None]
PREFIX = "/v1/messages/batches"


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    headers: dict[str, str]  # lower-case names


def result_line(custom_id: str, text: str = "ok") -> bytes:
    """One succeeded result line in the API's shape, newline included."""
    message = {
        "id": f"msg_{custom_id}",
        "type": "message",
        "role": "assistant",
        "model": "claude-haiku-4-5",
        "content": [{"type": "text", "text": text}],
        "stop_reason": "end_turn",
        "usage": {"input_tokens": 10, "output_tokens": 5},
    }
    return json.dumps({"custom_id": custom_id, "result": {"type": "succeeded", "message": message}}).encode() + b"\n"


def body_of(n: int, prefix: str = "r") -> bytes:
    return b"".join(result_line(f"{prefix}{i}") for i in range(n))


class Handler(BaseHTTPRequestHandler):
    server: HostileServer

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        api = self.server.api
        api.record(Seen("GET", self.path, {k.lower(): v for k, v in self.headers.items()}))
        path = unquote(self.path.split("?", 1)[0])
        try:
            if path == PREFIX:
                self.send_json(
                    200, {"data": list(api.batches.values()), "has_more": False, "first_id": None, "last_id": None}
                )
            elif path.startswith(PREFIX + "/") and path.endswith("/results"):
                api.results_writer(path[len(PREFIX) + 1 : -len("/results")])(self)
            elif path.startswith(PREFIX + "/"):
                self.send_json(200, api.batch(path[len(PREFIX) + 1 :]))
            else:
                self.send_json(404, {"type": "error", "error": {"type": "not_found_error", "message": "no"}})
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client stopped reading: what a bounded download does

    def send_json(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def start_body(self, headers: dict[str, str] | None = None) -> None:
        """Status and headers of a results body sent until the connection closes (HTTP/1.0 style)."""
        self.send_response(200)
        self.send_header("content-type", "application/binary")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()


class HostileServer(ThreadingHTTPServer):
    daemon_threads = True
    api: HostileApi


class HostileApi:
    """One fake API server; `with HostileApi() as api:` runs it in a thread."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self.batches: dict[str, dict[str, Any]] = {}
        self.writers: dict[str, BodyWriter] = {}
        self.requests: list[Seen] = []
        self.stopping = threading.Event()
        self.results_started = threading.Event()  # set at the first results request
        self._lock = threading.Lock()
        self.server = HostileServer((host, 0), Handler)
        self.server.api = self
        self._thread = threading.Thread(target=self.server.serve_forever, name="hostile-api", daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.server.server_address[1]}"

    def __enter__(self) -> HostileApi:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        self.server.shutdown()
        self.server.server_close()

    def record(self, seen: Seen) -> None:
        with self._lock:
            self.requests.append(seen)
            if seen.path.split("?", 1)[0].endswith("/results"):
                self.results_started.set()

    def results_requests(self) -> list[Seen]:
        with self._lock:
            return [s for s in self.requests if s.path.split("?", 1)[0].endswith("/results")]

    def add_batch(self, batch_id: str, total: int, writer: BodyWriter, results_url: str | None = None) -> None:
        """An ended batch of `total` succeeded requests whose results `writer` sends."""
        self.batches[batch_id] = {
            "id": batch_id,
            "type": "message_batch",
            "processing_status": "ended",
            "request_counts": {"processing": 0, "succeeded": total, "errored": 0, "canceled": 0, "expired": 0},
            "created_at": "2026-11-01T12:00:00Z",
            "expires_at": "2026-11-02T12:00:00Z",
            "ended_at": "2026-11-01T12:05:00Z",
            "cancel_initiated_at": None,
            "archived_at": None,
            "results_url": results_url or f"{self.base_url}{PREFIX}/{batch_id}/results",
        }
        self.writers[batch_id] = writer

    def batch(self, batch_id: str) -> dict[str, Any]:
        """A known batch, or any other id answered as an ended batch of one request (a hostile API)."""
        if batch_id not in self.batches:
            self.add_batch(batch_id, 1, plain(body_of(1)))
        return self.batches[batch_id]

    def results_writer(self, batch_id: str) -> BodyWriter:
        return self.writers.get(batch_id) or plain(body_of(1))


# -- results bodies -------------------------------------------------------------------------------
def plain(data: bytes) -> BodyWriter:
    def write(h: Handler) -> None:
        h.start_body({"content-length": str(len(data))})
        h.wfile.write(data)

    return write


def gzipped(data: bytes) -> BodyWriter:
    """`data` with `Content-Encoding: gzip` (a bomb when `data` is large and repetitive)."""
    packed = gzip.compress(data, compresslevel=9)

    def write(h: Handler) -> None:
        h.start_body({"content-encoding": "gzip", "content-length": str(len(packed))})
        h.wfile.write(packed)

    return write


def pieces(parts: Callable[[], Iterator[bytes]]) -> BodyWriter:
    """A body of unknown length written piece by piece (flushed each time) until the iterator ends."""

    def write(h: Handler) -> None:
        h.start_body()
        for part in parts():
            h.wfile.write(part)
            h.wfile.flush()

    return write


def trickle(data: bytes, every: float, stop: threading.Event) -> BodyWriter:
    """`data` one byte at a time, `every` seconds apart."""

    def parts() -> Iterator[bytes]:
        for i in range(len(data)):
            if stop.wait(every):
                return
            yield data[i : i + 1]

    return pieces(parts)


def held(body: bytes, at: int, release: threading.Event, cut: bool) -> BodyWriter:
    """`body` with its Content-Length: the first `at` bytes, then a wait for `release`; then the rest,
    or (`cut`) the connection closed mid-body."""

    def write(h: Handler) -> None:
        h.start_body({"content-length": str(len(body))})
        h.wfile.write(body[:at])
        h.wfile.flush()
        release.wait(30)
        if not cut:
            h.wfile.write(body[at:])

    return write


def redirect(location: str) -> BodyWriter:
    def write(h: Handler) -> None:
        h.send_response(302)
        h.send_header("location", location)
        h.send_header("content-length", "0")
        h.end_headers()

    return write
