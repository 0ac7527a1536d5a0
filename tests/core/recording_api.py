"""A stdlib stand-in for the Batches API that records every request as it came over the wire.

Each answer is drawn from `script` first (a status with headers, or `DROP`: the connection closed
with no answer), then from the canned answers of each endpoint. Used to compare what the SDK and
batchdeck's client send, and how often and when they retry.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from tests.http_server import QuietHandler, Server, running

BATCH_ID = "msgbatch_01WireWireWireWireWire0001"
DROP = "drop"


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    query: str
    headers: dict[str, str]  # names lowercased
    body: bytes


@dataclass
class Recording:
    seen: list[Seen] = field(default_factory=list)
    script: deque[Any] = field(default_factory=deque)  # (status, headers[, message]) or DROP, one per request
    lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self) -> list[Seen]:
        with self.lock:
            taken, self.seen = self.seen, []
            return taken


def batch(base_url: str, status: str = "ended") -> dict[str, Any]:
    ended = status == "ended"
    return {
        "id": BATCH_ID,
        "type": "message_batch",
        "processing_status": status,
        "request_counts": {"processing": 0 if ended else 2, "succeeded": 2 if ended else 0, "errored": 0,
                           "canceled": 0, "expired": 0},
        "created_at": "2026-11-01T12:00:00.000000Z",
        "expires_at": "2026-11-02T12:00:00.000000Z",
        "ended_at": "2026-11-01T12:05:00.000000Z" if ended else None,
        "cancel_initiated_at": None,
        "archived_at": None,
        "results_url": f"{base_url}/v1/messages/batches/{BATCH_ID}/results" if ended else None,
    }  # fmt: skip


RESULTS = b"".join(
    json.dumps({"custom_id": f"r{i}", "result": {"type": "canceled"}}).encode() + b"\n" for i in range(2)
)


class RecordingHandler(QuietHandler):
    server: RecordingServer

    def do_GET(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        self._answer()

    def do_DELETE(self) -> None:
        self._answer()

    def _answer(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        record = self.server.recording
        with record.lock:
            record.seen.append(
                Seen(self.command, parts.path, parts.query, {k.lower(): v for k, v in self.headers.items()}, body)
            )
            scripted = record.script.popleft() if record.script else None
        if scripted == DROP:
            self.close_connection = True  # no status line at all: the client sees the connection close
            return
        if scripted is not None:
            status, headers, *message = scripted  # (status, headers[, the error's message])
            text = message[0] if message else f"scripted {status}"
            error = {"type": "error", "error": {"type": "api_error", "message": text}}
            self.send_body(status, json.dumps({**error, "request_id": "req_script"}).encode(), **headers)
            return
        self._canned(parts.path)

    def _canned(self, path: str) -> None:
        base = self.server.base_url
        if path.endswith("/results"):
            self.send_body(200, RESULTS, "application/x-jsonl", request_id="req_wire")
        elif self.command == "DELETE":
            self.send_body(200, json.dumps({"id": BATCH_ID, "type": "message_batch_deleted"}).encode())
        elif path.endswith("/cancel"):
            self.send_body(200, json.dumps(batch(base, "canceling")).encode())
        elif path == "/v1/messages/batches" and self.command == "POST":
            self.send_body(200, json.dumps(batch(base, "in_progress")).encode())
        elif path == "/v1/messages/batches":
            page = {"data": [batch(base)], "has_more": False, "first_id": BATCH_ID, "last_id": BATCH_ID}
            self.send_body(200, json.dumps(page).encode(), request_id="req_wire")
        else:
            self.send_body(200, json.dumps(batch(base)).encode(), request_id="req_wire")


class RecordingServer(Server):
    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), RecordingHandler)
        self.recording = Recording()


@contextmanager
def recording_api() -> Iterator[RecordingServer]:
    """A `RecordingServer` on a free local port until the block ends."""
    with running(RecordingServer()) as server:
        yield server
