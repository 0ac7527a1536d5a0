"""The results list as drawn: ERROR and STOP on screen at 120 columns (CUSTOM_ID as wide as the longest
id, not a share of the width), and text from a hostile results server drawn with ␛, never a raw ESC."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from textual.geometry import Region

from batchdeck.commands.demo_cmd import demo_session
from batchdeck.emulator import Emulator
from batchdeck.tui.app import BatchdeckApp
from batchdeck.tui.screens.results import ResultsScreen
from batchdeck.tui.widgets.result_list import ResultList
from tests.ui.conftest import make_session, open_results, wait_for
from tests.ui.test_results_screen import emulator_lines, small_failed

pytestmark = pytest.mark.anyio


def drawn_lines(result_list: ResultList) -> list[str]:
    """The list's visible lines as painted, segment texts joined."""
    region = result_list.scrollable_content_region
    return [strip.text for strip in result_list.render_lines(Region(0, 0, region.width, region.height))]


def column_titles(screen: ResultsScreen) -> str:
    """The header's second line: the column titles over the list (after the space over the mark column)."""
    return str(screen.query_one("#results-header").render()).splitlines()[1][1:]


async def test_error_and_stop_are_drawn_at_120_columns(demo: Emulator, tmp_path: Path) -> None:
    app = BatchdeckApp(make_session(demo, tmp_path))
    async with app.run_test(size=(120, 35)) as pilot:
        screen = await open_results(pilot, app, small_failed)
        lines = emulator_lines(demo, screen.shown_batch.id)
        results = {cid: json.loads(line)["result"] for cid, line in lines.items()}
        titles = column_titles(screen)
        assert "ERROR" in titles and "STOP" in titles, titles
        longest = max(len(cid) for cid in results)
        assert titles.index("OUTCOME") == longest + 1, titles  # CUSTOM_ID is as wide as the longest id
        await pilot.press("f")  # failed rows first: errored ones show their type in full
        await wait_for(
            pilot, lambda: (row := screen.query_one(ResultList).current) is not None and row.outcome != "succeeded"
        )
        await pilot.pause()
        failed = drawn_lines(screen.query_one(ResultList))
        errored = [text for text in failed if "errored" in text]
        assert errored, failed
        for text in errored:
            custom_id = text[2:].split(" ", 1)[0]
            assert custom_id in results and results[custom_id]["error"]["error"]["type"] in text, text
        for _ in range(6):  # back to every row (f skips outcomes without rows): succeeded ones show their stop reason
            if screen.view == 0:
                break
            await pilot.press("f")
        await wait_for(pilot, lambda: screen.view == 0 and screen.query_one(ResultList).generation == screen.generation)
        await pilot.pause()
        for text in drawn_lines(screen.query_one(ResultList)):
            custom_id = text[2:].split(" ", 1)[0]
            if results.get(custom_id, {}).get("type") == "succeeded":
                assert results[custom_id]["message"]["stop_reason"] in text, text


# -- a results server that sends escape sequences ---------------------------------------------------
HOSTILE_ID = "msgbatch_01HostileResultsServer"
EVIL_ID = "evil-\x1b]52;c;cHduZWQ=\x07-id"  # OSC 52: writes the clipboard
EVIL_ERROR = "api_error\x1b[2J"  # clears the screen
EVIL_STOP = "end_turn\x1b[5m"  # blinks


def hostile_results() -> bytes:
    usage = {"input_tokens": 10, "output_tokens": 5, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0}
    lines: list[dict[str, Any]] = [
        {
            "custom_id": EVIL_ID,
            "result": {
                "type": "errored",
                "error": {
                    "type": "error",
                    "error": {
                        "type": EVIL_ERROR,
                        "message": "\x1b[31mred\x1b[0m and \x1b]8;;https://x.example\x07link",
                    },
                },
            },
        },
        {
            "custom_id": "ok-\x1b[1mbold",
            "result": {
                "type": "succeeded",
                "message": {
                    "id": "msg_1",
                    "type": "message",
                    "role": "assistant",
                    "model": "claude-haiku-4-5",
                    "content": [{"type": "text", "text": "hi"}],
                    "stop_reason": EVIL_STOP,
                    "stop_sequence": None,
                    "usage": usage,
                },
            },
        },
        {
            "custom_id": "plain-row",
            "result": {
                "type": "errored",
                "error": {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}},
            },
        },
    ]
    return b"".join(json.dumps(line).encode() + b"\n" for line in lines)


def hostile_batch(base_url: str) -> dict[str, Any]:
    created = datetime.now(UTC) - timedelta(hours=2)
    stamp = lambda t: t.strftime("%Y-%m-%dT%H:%M:%S.000000Z")  # noqa: E731
    return {
        "id": HOSTILE_ID,
        "type": "message_batch",
        "processing_status": "ended",
        "request_counts": {"processing": 0, "succeeded": 1, "errored": 2, "canceled": 0, "expired": 0},
        "ended_at": stamp(created + timedelta(hours=1)),
        "created_at": stamp(created),
        "expires_at": stamp(created + timedelta(hours=24)),
        "archived_at": None,
        "cancel_initiated_at": None,
        "results_url": f"{base_url}/v1/messages/batches/{HOSTILE_ID}/results",
    }


@contextmanager
def hostile_server() -> Iterator[str]:
    """One ended batch whose results carry escape sequences in custom_ids, error types and stop reasons."""
    state: dict[str, str] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            url = urlsplit(self.path)
            batch = hostile_batch(state["base"])
            if url.path == "/v1/messages/batches":
                later = "after_id" in url.query or "before_id" in url.query
                page = {
                    "data": [] if later else [batch],
                    "has_more": False,
                    "first_id": None if later else HOSTILE_ID,
                    "last_id": None if later else HOSTILE_ID,
                }
                self._send(json.dumps(page).encode(), "application/json")
            elif url.path == f"/v1/messages/batches/{HOSTILE_ID}":
                self._send(json.dumps(batch).encode(), "application/json")
            elif url.path == f"/v1/messages/batches/{HOSTILE_ID}/results":
                self._send(hostile_results(), "application/binary")
            else:
                self.send_error(404)

        def _send(self, body: bytes, kind: str) -> None:
            self.send_response(200)
            self.send_header("content-type", kind)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state["base"] = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield state["base"]
    finally:
        server.shutdown()
        server.server_close()


async def test_hostile_custom_ids_and_errors_are_drawn_with_visible_escapes(tmp_path: Path) -> None:
    with hostile_server() as base_url:
        app = BatchdeckApp(demo_session(base_url, tmp_path))
        async with app.run_test(size=(160, 35)) as pilot:
            screen = await open_results(pilot, app, lambda b: b.id == HOSTILE_ID)
            assert screen.total == 3
            result_list = screen.query_one(ResultList)
            shown = [line for line in drawn_lines(result_list) if line.strip()]
            assert len(shown) == 3, shown
            drawn = "\n".join([column_titles(screen), *shown])
            assert not any((ord(ch) < 0x20 and ch != "\n") or 0x7F <= ord(ch) < 0xA0 for ch in drawn), repr(drawn)
            assert "evil-␛]52;c;cHduZWQ=␇-id" in drawn and "ok-␛[1mbold" in drawn, drawn
            assert "api_error␛[2J" in drawn and "end_turn␛[5m" in drawn, drawn
