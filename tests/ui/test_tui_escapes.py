"""Terminal escapes in API data never reach the terminal from the TUI (issue 12 item 9, TUI side).

A corpus of hostile sequences (OSC 52 clipboard write, title change, screen clear, OSC 8 hyperlink,
8-bit CSI, bidi override) is put where users' and the API's text lands: a label and a note in the
local store, a request file's name (the job screen), and a saved results file (custom_ids, model text, tool input, error type and message),
indexed from local bytes by the same indexer a download uses. Every screen is then read back as the
compositor draws it: no ESC, C1 or bidi control may be in it, and `␛` shows where ESC was.
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx2
import pytest
from textual.pilot import Pilot

from batchdeck.core.batches.models import CachedBatch
from batchdeck.core.config.paths import private_dir
from batchdeck.core.jobs.submit import SubmitSource, plan_submit, submit
from batchdeck.core.results.download import results_path
from batchdeck.core.results.ingest import IngestReport, LineIndexer
from batchdeck.core.session import Session
from batchdeck.core.workspace import Workspace
from batchdeck.emulator import Emulator
from batchdeck.tui.app import BatchdeckApp
from batchdeck.tui.screens.detail import DetailScreen
from batchdeck.tui.screens.job import JobScreen
from batchdeck.tui.widgets.result_list import ResultList
from tests.conftest import API_KEY, START
from tests.core.jobs_helpers import line
from tests.ui.conftest import make_session, move_to, open_results, polled, screen_lines, wait_for

pytestmark = pytest.mark.anyio
HEADERS = {"x-api-key": API_KEY, "anthropic-version": "2023-06-01"}

CORPUS = {
    "osc52 clipboard": "\x1b]52;c;cm0gLXJmIH4K\x07",
    "title": "\x1b]0;pwn\x07",
    "clear": "\x1b[2J",
    "osc8 link": "\x1b]8;;https://evil.example/\x1b\\click\x1b]8;;\x1b\\",
    "8-bit csi": "\x9b31m",
    "bidi override": "\u202eexe.txt",
}
HOSTILE = "".join(CORPUS.values())
FORBIDDEN = {
    chr(c)
    for c in (
        *range(0x20),
        0x7F,
        *range(0x80, 0xA0),
        0x061C,
        0x200E,
        0x200F,
        *range(0x202A, 0x202F),
        *range(0x2066, 0x206A),
    )
}


async def drawn(pilot: Pilot[None], app: BatchdeckApp, text: str) -> None:
    """Let the app run until `text` is on the screen (it is what the following checks read)."""
    await wait_for(pilot, lambda: any(text in line for line in screen_lines(app)))


def assert_nothing_raw(app: BatchdeckApp) -> str:
    """The drawn screen holds no control or bidi character; returns it as one text for further checks."""
    lines = screen_lines(app)
    raw = sorted({f"U+{ord(ch):04X}" for line in lines for ch in line if ch in FORBIDDEN})
    assert not raw, f"raw control characters drawn: {raw}\n" + "\n".join(map(repr, lines))
    return "\n".join(lines)


def plain_ended(batch: CachedBatch) -> bool:
    """Ended without failures: drawn in the list only (a live batch's pane is the "state" area's)."""
    return batch.processing_status == "ended" and batch.counts.failed == 0 and batch.archived_at is None


def small_with_errors(batch: CachedBatch) -> bool:
    return (
        batch.processing_status == "ended"
        and batch.counts.errored > 0
        and batch.counts.succeeded > 0
        and batch.counts.total <= 50
        and batch.archived_at is None
    )


def hostile_body(emu: Emulator, batch_id: str) -> bytes:
    """The emulator's own results for the batch, with one succeeded and one errored line made hostile
    (same number of rows, so nothing about the set looks incomplete)."""
    body = httpx2.get(f"{emu.base_url}/v1/messages/batches/{batch_id}/results", headers=HEADERS).content
    lines = [json.loads(line) for line in body.splitlines() if line.strip()]
    ok = next(line for line in lines if line["result"]["type"] == "succeeded")
    ok["custom_id"] = "000-" + CORPUS["title"] + CORPUS["8-bit csi"]
    ok["result"]["message"]["content"] = [
        {"type": "text", "text": "model says:\n" + HOSTILE},
        {
            "type": "tool_use",
            "id": "toolu_01",
            "name": "run" + CORPUS["clear"],
            "input": {"path": CORPUS["bidi override"] + CORPUS["8-bit csi"], "cmd": CORPUS["osc52 clipboard"]},
        },
    ]
    bad = next(line for line in lines if line["result"]["type"] == "errored")
    bad["custom_id"] = "001-" + CORPUS["clear"] + CORPUS["bidi override"]
    bad["result"]["error"] = {"type": "error", "error": {"type": "server_error" + CORPUS["title"], "message": HOSTILE}}
    return b"".join(json.dumps(line, ensure_ascii=False).encode() + b"\n" for line in lines)


def keep_results(ws: Workspace, batch_id: str, body: bytes) -> None:
    """Save a results body as a download would: the raw file in its place, indexed by the real indexer."""
    path = results_path(ws, batch_id)
    private_dir(path.parent)
    path.write_bytes(body)
    index = ws.results
    report = IngestReport(batch_id, path)
    indexer = LineIndexer(report)
    index.begin(batch_id, str(path), ws.now())
    index.add(batch_id, [*indexer.feed(body), *indexer.finish()])
    index.publish(batch_id, ws.prices())
    totals = index.totals(batch_id)
    index.finish(
        batch_id,
        ws.now(),
        size=len(body),
        rows=report.rows,
        malformed=report.malformed,
        malformed_lines=report.malformed_lines,
        cost=totals.cost,
        standard=None,
        unpriced=totals.unpriced,
        usage=totals.usage,
    )


def hostile_session(emu: Emulator, tmp_path: Path) -> tuple[Session, str]:
    """A synced demo workspace: an ended batch labelled and noted with the corpus, and the saved
    results of a small batch made hostile. Returns the session and that batch's id."""
    session = make_session(emu, tmp_path)
    with Workspace(session.config, session.profile, session.db_path, session.clock) as ws:
        ws.syncer().sync()
        batches = ws.batches.query()
        labelled = next(b for b in batches if plain_ended(b))
        ws.batches.set_meta(labelled.id, ws.now(), label=CORPUS["title"] + "nightly", note="note " + HOSTILE)
        target = next(b for b in batches if small_with_errors(b))
        keep_results(ws, target.id, hostile_body(emu, target.id))
    return session, target.id


async def test_labels_and_notes_show_escapes_visibly_in_the_list_and_detail(demo: Emulator, tmp_path: Path) -> None:
    session, _ = hostile_session(demo, tmp_path)
    app = BatchdeckApp(session)
    async with app.run_test(size=(160, 40)) as pilot:
        await polled(pilot)
        move_to(app, lambda b: b.label is not None and "nightly" in b.label)
        await drawn(pilot, app, "nightly")
        main = assert_nothing_raw(app)
        assert "␛]0;pwn␇nightly" in main  # the label, drawn in the list with its ESC and BEL shown
        await pilot.press("enter")
        await drawn(pilot, app, "note ")
        assert isinstance(app.screen, DetailScreen)
        detail = assert_nothing_raw(app)
        assert "␛]52;c;cm0gLXJmIH4K␇" in detail and "␛[2J" in detail and "\\x9b31m" in detail
        assert "<U+202E>exe.txt" in detail and "␛]8;;https://evil.example/␛\\click" in detail


async def test_results_show_escapes_visibly_in_the_list_and_the_detail_pane(demo: Emulator, tmp_path: Path) -> None:
    session, batch_id = hostile_session(demo, tmp_path)
    app = BatchdeckApp(session)
    async with app.run_test(size=(160, 50)) as pilot:
        screen = await open_results(pilot, app, lambda b: b.id == batch_id)
        await drawn(pilot, app, "model says:")
        assert screen.query_one(ResultList).current.custom_id.startswith("000-")
        shown = assert_nothing_raw(app)
        assert "000-␛]0;pwn␇\\x9b31m" in shown  # custom_id in the list and in the pane
        assert "model says:" in shown and "␛]52;c;cm0gLXJmIH4K␇" in shown and "<U+202E>exe.txt" in shown
        assert "tool_use run␛[2J" in shown and "\\x9b31m" in shown  # tool name and its input JSON
        await pilot.press("j")
        await wait_for(pilot, lambda: screen.query_one(ResultList).current.custom_id.startswith("001-"))
        await drawn(pilot, app, "error type")
        shown = assert_nothing_raw(app)
        assert "001-␛[2J<U+202E>exe.txt" in shown
        assert "server_error␛]0;pwn␇" in shown and "␛]52;c;cm0gLXJmIH4K␇␛]0;pwn␇␛[2J" in shown  # type, message


async def test_the_job_screen_shows_escapes_in_its_file_name_visibly(tmp_path: Path) -> None:
    with Emulator(speed=0, start_time=START, scenario="empty") as emu:
        session = make_session(emu, tmp_path)
        source = tmp_path / f"requests{CORPUS['title']}{CORPUS['bidi override']}.jsonl"
        source.write_bytes(line("only-one") + b"\n")
        with session.workspace() as ws:
            batch_id = submit(ws, plan_submit(ws, SubmitSource(source))).batch_ids[0]
        session.close()
        app = BatchdeckApp(make_session(emu, tmp_path))
        async with app.run_test(size=(130, 30)) as pilot:
            await polled(pilot)
            move_to(app, lambda b: b.id == batch_id)
            await pilot.press("J")
            screen = app.screen
            assert isinstance(screen, JobScreen)
            await wait_for(pilot, lambda: screen.view is not None)
            await drawn(pilot, app, "still failing")
            shown = assert_nothing_raw(app)
            assert "requests␛]0;pwn␇<U+202E>exe.txt.jsonl" in shown
            assert any(row.split()[:3] == ["requests", "1", "request:"] for row in screen_lines(app)), shown
