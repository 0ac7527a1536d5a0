"""A hostile Batches API on 127.0.0.1 (stdlib only): it serves whatever a test sets, including what the
real API and the emulator never send (ids with `..`, wrong types, lists that never end, escape sequences).

Routes: list (`pages` by `after_id`, or one page of `listed`), retrieve (`batches`), cancel (`errors`
or the batch), results (`results`, at the batch's `results_url`), and any path in `errors`.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

PREFIX = "/v1/messages/batches"
CREATED = "2026-11-01T12:00:00.000000Z"


def batch(batch_id: str, status: str = "ended", **fields: Any) -> dict[str, Any]:
    """A well-formed batch object of one request (ended and succeeded unless told otherwise)."""
    ended = status == "ended"
    counts = {
        "processing": 0 if ended else 1,
        "succeeded": 1 if ended else 0,
        "errored": 0,
        "canceled": 0,
        "expired": 0,
    }
    return {
        "id": batch_id,
        "type": "message_batch",
        "processing_status": status,
        "request_counts": counts,
        "created_at": CREATED,
        "expires_at": "2026-11-02T12:00:00.000000Z",
        "ended_at": "2026-11-01T12:30:00.000000Z" if ended else None,
        "cancel_initiated_at": None,
        "archived_at": None,
        "results_url": None,
        **fields,
    }


def error_body(message: str, kind: str = "invalid_request_error") -> dict[str, Any]:
    return {"type": "error", "error": {"type": kind, "message": message}}


class FakeApi:
    """Set `listed`, `pages`, `batches`, `results` and `errors`, then point a profile at `base_url`."""

    def __init__(self) -> None:
        self.listed: list[Any] = []  # one page, has_more false (when `pages` is empty)
        self.pages: dict[str | None, dict[str, Any]] = {}  # after_id -> the page body to answer
        self.batches: dict[str, Any] = {}  # id -> what a retrieve answers
        self.results: dict[str, bytes] = {}  # id -> the results body
        self.errors: dict[str, tuple[int, dict[str, Any]]] = {}  # path -> (status, body)
        self.requests: list[str] = []  # "METHOD path?query", in order
        self.max_list_calls = 40  # then 400: bounds a client that would loop forever (so a test can fail, not hang)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, name="fake-api", daemon=True
        )

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def results_url(self, batch_id: str) -> str:
        return f"{self.base_url}{PREFIX}/{batch_id}/results"

    def list_calls(self) -> int:
        return sum(1 for r in self.requests if r.startswith(f"GET {PREFIX}?"))

    def __enter__(self) -> FakeApi:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    # -- answers ----------------------------------------------------------------------------------
    def answer(self, method: str, target: str) -> tuple[int, bytes, str]:
        self.requests.append(f"{method} {target}")
        url = urlsplit(target)
        path = url.path
        if path in self.errors:
            status, body = self.errors[path]
            return status, json.dumps(body).encode(), "application/json"
        if method == "GET" and path == PREFIX:
            return self._list(parse_qs(url.query).get("after_id", [None])[0])
        rest = path[len(PREFIX) + 1 :] if path.startswith(PREFIX + "/") else ""
        batch_id, _, action = rest.partition("/")
        if method == "GET" and action == "results" and batch_id in self.results:
            return 200, self.results[batch_id], "application/binary"
        if batch_id in self.batches and ((method == "GET" and not action) or (method == "POST" and action == "cancel")):
            return 200, json.dumps(self.batches[batch_id]).encode(), "application/json"
        return 404, json.dumps(error_body(f"no batch {batch_id}", "not_found_error")).encode(), "application/json"

    def _list(self, after_id: str | None) -> tuple[int, bytes, str]:
        if self.list_calls() > self.max_list_calls:
            return 400, json.dumps(error_body("fake API: too many list calls")).encode(), "application/json"
        if self.pages:
            page = self.pages.get(after_id, {"data": [], "has_more": False, "first_id": None, "last_id": None})
        else:
            page = {"data": self.listed, "has_more": False, "first_id": None, "last_id": None}
        return 200, json.dumps(page).encode(), "application/json"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                if length:
                    self.rfile.read(length)
                status, body, kind = fake.answer(self.command, self.path)
                self.send_response(status)
                self.send_header("content-type", kind)
                self.send_header("content-length", str(len(body)))
                self.send_header("request-id", "req_fake")
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_DELETE = _serve

            def log_message(self, *args: Any) -> None:  # quiet
                pass

        return Handler


def environment(root: Path, fake: FakeApi) -> dict[str, str]:
    """XDG dirs under `root` and the default profile on `fake` (for monkeypatch.setenv or a subprocess)."""
    env = {
        var: str(root / var.lower()) for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME")
    }
    return {**env, "ANTHROPIC_API_KEY": "sk-ant-fake-0123456789abcdef", "ANTHROPIC_BASE_URL": fake.base_url}
