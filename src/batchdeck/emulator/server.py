"""HTTP/1.1 plumbing on the standard library: read the request, apply faults, write the answer.

A thread per connection with keep-alive, as the SDK's connection pool expects. JSON answers
carry a Content-Length; results are sent chunked while they are generated.
"""

from __future__ import annotations

import contextlib
import json
import math
import socket
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from batchdeck.emulator.errors import ApiError
from batchdeck.emulator.http_types import Request, Response
from batchdeck.emulator.ids import request_id

if TYPE_CHECKING:
    from batchdeck.emulator.handle import Emulator

FAULT_ERRORS = {
    "429": ApiError(
        429, "rate_limit_error", "Number of requests has exceeded your rate limit. Please try again later."
    ),
    "500": ApiError(500, "api_error", "Internal server error"),
    "529": ApiError(529, "overloaded_error", "Overloaded"),
}
_DISCARD_CHUNK = 1 << 20


class EmulatorServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    server_address: tuple[str, int]  # AF_INET (the default family): bound host and port

    def __init__(self, address: tuple[str, int], emulator: Emulator) -> None:
        self.emulator = emulator
        self.connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, EmulatorHandler)

    def track(self, connection: socket.socket, open_: bool) -> None:
        with self._connections_lock:
            (self.connections.add if open_ else self.connections.discard)(connection)

    def close_connections(self) -> None:
        """Hang up on every client, as a stopped server would (keep-alive threads would serve on)."""
        with self._connections_lock:
            for connection in self.connections:
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)
            self.connections.clear()

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hangs up is normal; anything else gets one line, not a traceback."""
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError)):
            return
        print(
            f"emulator: error while serving {client_address[0]}: {type(exc).__name__}: {exc}",
            file=sys.stderr,
            flush=True,
        )


class EmulatorHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "batchdeck-emulator"
    sys_version = ""
    timeout = 120  # idle keep-alive connections end after this
    disable_nagle_algorithm = True  # headers and body go out in separate writes: avoid 40 ms stalls
    server: EmulatorServer

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection, True)

    def finish(self) -> None:
        self.server.track(self.connection, False)
        with contextlib.suppress(OSError):  # the client is gone; nothing left to flush to
            super().finish()

    def do_GET(self) -> None:
        self._handle()

    do_POST = do_DELETE = do_PUT = do_PATCH = do_GET

    def log_message(self, format: str, *args: Any) -> None:
        """Silenced: requests are logged once, with their outcome, in `_log`."""

    def _log(self, status: int | str, started: float) -> None:
        if self.server.emulator.config.log_requests:
            elapsed = (time.monotonic() - started) * 1000
            print(f"{self.command} {self.path} -> {status} ({elapsed:.0f} ms)", file=sys.stderr, flush=True)

    # -- reading ------------------------------------------------------------------------------
    def _read_body(self, limit: int) -> bytes | None:
        """The request body, or None when it is larger than `limit` (then read and discarded)."""
        if "chunked" in (self.headers.get("transfer-encoding") or "").lower():
            return self._read_chunked(limit)
        length = int(self.headers.get("content-length") or 0)
        if length < 0:
            raise ValueError("negative Content-Length")
        if length > limit:
            while length > 0:
                got = self.rfile.read(min(length, _DISCARD_CHUNK))
                if not got:
                    break
                length -= len(got)
            return None
        return self.rfile.read(length) if length else b""

    def _read_chunked(self, limit: int) -> bytes | None:
        parts, total = [], 0
        while True:
            size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                self.rfile.readline()
                break
            chunk = self.rfile.read(size)
            self.rfile.readline()
            total += size
            if total <= limit:
                parts.append(chunk)
        return b"".join(parts) if total <= limit else None

    def _base_url(self) -> str:
        public = self.server.emulator.config.public_url
        if public:
            return public.rstrip("/")
        host = self.headers.get("host") or "{}:{}".format(*self.server.server_address[:2])
        return f"http://{host}"

    # -- answering ----------------------------------------------------------------------------
    def _handle(self) -> None:
        started = time.monotonic()
        emulator = self.server.emulator
        split = urlsplit(self.path)
        try:
            body = self._read_body(emulator.config.max_body_bytes)
        except ValueError:
            self.close_connection = True
            self._write(
                Response(
                    400,
                    ApiError(
                        400, "invalid_request_error", "Malformed request framing (Content-Length or chunk size)"
                    ).envelope(""),
                ),
                cut=False,
            )
            self._log(400, started)
            return
        request = Request(self.command, split.path, parse_qs(split.query), self.headers, body or b"", self._base_url())
        if body is None:
            response, fault = emulator.too_large_response(request), None
        else:
            response, fault = emulator.dispatch(request)
        if fault in ("drop", "drop_after"):
            self.close_connection = True
            self._log(fault, started)
            return
        self._write(response, cut=fault == "cut")
        self._log(response.status, started)

    def date_time_string(self, timestamp: float | None = None) -> str:
        """`Date` follows the emulated clock, as the real API's follows its own.

        Rounded up to the whole second: the header has no fractions, and a `created_at` taken
        moments before must never read later than the `Date` of the response carrying it.
        """
        now = self.server.emulator.clock.now() if timestamp is None else timestamp
        return super().date_time_string(math.ceil(now))

    def _write(self, response: Response, cut: bool) -> None:
        req_id = request_id()
        body = response.body
        if body is not None and body.get("type") == "error":
            body["request_id"] = req_id
        self.send_response(response.status)
        self.send_header("request-id", req_id)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("content-type", response.content_type)
        if response.stream is not None:
            self.send_header("transfer-encoding", "chunked")
            self.end_headers()
            self._write_stream(response.stream, cut)
            return
        payload = json.dumps(body).encode() if body is not None else b""
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _write_stream(self, stream: Iterator[bytes], cut: bool) -> None:
        cut_after = self.server.emulator.faults.config.cut_after_bytes
        sent, held = 0, b""
        try:
            for chunk in stream:
                if held:
                    self._write_chunk(held)
                    sent += len(held)
                held = chunk
                if cut and sent + len(held) > cut_after:
                    self._cut(held, cut_after - sent)
                    return
            if cut and held:
                last_line_start = held.rfind(b"\n", 0, len(held) - 1) + 1
                self._cut(held, last_line_start + max(1, (len(held) - last_line_start) // 2))
                return
            if held:
                self._write_chunk(held)
            self.wfile.write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client went away mid-stream

    def _cut(self, chunk: bytes, at: int) -> None:
        """Send `chunk` up to `at` (never right after a newline), then drop the connection."""
        at = max(1, at)
        if chunk[at - 1 : at] == b"\n":
            at += 1
        self._write_chunk(chunk[:at])
        self.wfile.flush()
        self.close_connection = True
        self.connection.shutdown(socket.SHUT_RDWR)

    def _write_chunk(self, chunk: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
