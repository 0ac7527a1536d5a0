"""Follow-ups of issues 11 and 12: the detail screen's keys follow `core.batches.rules`, untrusted text in the
results screen and the confirm dialog is shown as it is, "overdue" only for an unusually slow batch,
a sync's skipped objects said once, and the plain TUI quits cleanly on SIGTERM and SIGHUP.
Each test drives the real app (through Pilot, or in a pty) and reads what is drawn.
"""

from __future__ import annotations

import fcntl
import os
import pty
import signal
import struct
import sys
import termios
from pathlib import Path

import anthropic
import pytest
from textual.widgets import Static

from batchdeck.commands.demo_cmd import demo_session
from batchdeck.core.batches.models import CachedBatch
from batchdeck.core.workspace import Workspace
from batchdeck.emulator import Emulator
from batchdeck.tui.app import BatchdeckApp
from batchdeck.tui.screens.confirm import ConfirmScreen
from batchdeck.tui.screens.detail import DetailScreen
from batchdeck.tui.screens.prompt import PromptScreen
from batchdeck.tui.widgets.live_pane import LivePane
from tests.conftest import request
from tests.reliability.fake_api import FakeApi, batch, environment
from tests.test_demo_cleanup import COLUMNS, DRAWN, RESTORED, ROWS, DemoInPty
from tests.ui.conftest import make_session, move_to, open_results, polled, wait_for
from tests.ui.test_tui_escapes import CORPUS, assert_nothing_raw, hostile_session, screen_lines
from tests.ui.test_visible_state import START_DT, insert, pane_drawn, raw_batch

pytestmark = pytest.mark.anyio


def screen_words(app: BatchdeckApp) -> str:
    """The drawn screen with wrapping undone: runs of spaces and line breaks become one space."""
    return " ".join(" ".join(screen_lines(app)).split())


def said(app: BatchdeckApp) -> list[str]:
    return [n.message for n in app._notifications]


# -- 1. the detail screen offers what core.batches.rules allows, and says why not the rest -------------------
def archived_without_copy(b: CachedBatch) -> bool:
    return b.processing_status == "ended" and b.archived_at is not None and not b.results_saved and not b.deleted_at


async def test_detail_actions_follow_the_rules_and_say_why_not(demo: Emulator, tmp_path: Path) -> None:
    app = BatchdeckApp(make_session(demo, tmp_path))
    async with app.run_test(size=(160, 50)) as pilot:
        await polled(pilot)
        move_to(app, archived_without_copy)
        await pilot.press("enter")
        assert isinstance(app.screen, DetailScreen)
        await wait_for(pilot, lambda: "actions" in screen_words(app))
        lines = screen_lines(app)
        actions = next(line for line in lines if line.lstrip().startswith("actions"))
        assert "d delete" in actions and "l label" in actions and "o results" in actions
        assert "R resubmit" not in actions and "J job" not in actions and "e export" not in actions
        shown = screen_words(app)
        assert "not now R resubmit failed, e export: its results were archived and no local copy was kept" in shown
        assert "J job: it was not submitted through batchdeck" in shown
        assert "c cancel: it has already ended" in shown
        await pilot.press("R")  # the key says the same reason the screen shows
        assert said(app)[-1].endswith("its results were archived and no local copy was kept")


async def test_detail_in_readonly_names_the_reason_once_for_every_change(demo: Emulator, tmp_path: Path) -> None:
    app = BatchdeckApp(make_session(demo, tmp_path), readonly=True)
    async with app.run_test(size=(160, 50)) as pilot:
        await polled(pilot)
        move_to(app, lambda b: b.processing_status == "in_progress" and not b.deleted_at)
        await pilot.press("enter")
        await wait_for(pilot, lambda: "actions" in screen_words(app))
        actions = next(line for line in screen_lines(app) if line.lstrip().startswith("actions"))
        assert "l label" not in actions and "c cancel" not in actions and "y copy id" in actions
        assert (
            "R resubmit failed, d delete, c cancel, l label, n note: read-only mode (started with --readonly): "
            "nothing can be changed"
        ) in screen_words(app)


# -- 2. untrusted text on the results screen ---------------------------------------------------------
async def test_results_title_and_header_show_labels_errors_and_search_as_they_are(
    demo: Emulator, tmp_path: Path
) -> None:
    session, batch_id = hostile_session(demo, tmp_path)
    with Workspace(session.config, session.profile, session.db_path, session.clock) as ws:
        ws.batches.set_meta(batch_id, ws.now(), label="v2 [b]draft[/b] " + CORPUS["title"])
    app = BatchdeckApp(session)
    async with app.run_test(size=(160, 50)) as pilot:
        screen = await open_results(pilot, app, lambda b: b.id == batch_id)
        title = str(screen.query_one("#results-title", Static).render())
        assert "v2 [b]draft[/b] ␛]0;pwn␇" in title
        for _ in range(len(screen.facets[1])):
            if (screen.error_type or "").startswith("server_error\x1b"):
                break
            await pilot.press("t")
            await wait_for(pilot, lambda: screen.ready)
        await pilot.press("slash", *"0[b]")
        await wait_for(pilot, lambda: "search 0[b]" in screen_words(app))
        shown = assert_nothing_raw(app)
        assert "error server_error␛]0;pwn␇" in shown and "v2 [b]draft[/b] ␛]0;pwn␇" in shown


# -- 3. the confirm dialog: labels made visible, counts in words -------------------------------------
async def test_the_confirm_dialog_shows_the_label_visibly_and_counts_one_request(
    demo: Emulator, tmp_path: Path
) -> None:
    with anthropic.Anthropic(base_url=demo.base_url, api_key="k", max_retries=0) as client:
        one = client.messages.batches.create(requests=[request("only")]).id  # type: ignore[list-item]
    session = make_session(demo, tmp_path)
    with Workspace(session.config, session.profile, session.db_path, session.clock) as ws:
        ws.syncer().sync()
        ws.batches.set_meta(one, ws.now(), label="tonight" + CORPUS["clear"] + CORPUS["bidi override"])
    app = BatchdeckApp(session)
    async with app.run_test(size=(140, 40)) as pilot:
        await polled(pilot)
        move_to(app, lambda b: b.id == one)
        await pilot.press("c")
        assert isinstance(app.screen, ConfirmScreen)
        await wait_for(pilot, lambda: one in screen_words(app))
        shown = assert_nothing_raw(app)
        body = str(app.screen.query_one("#dialog-body", Static).render())  # the dialog's text, unwrapped
        assert f"{one}  tonight␛[2J<U+202E>exe.txt  1 request, in progress" in body
        assert "1 requests" not in shown and "1 requests" not in body  # the live pane counts it right too


async def test_an_old_cached_id_with_markup_and_escapes_is_shown_in_the_label_prompt(
    demo: Emulator, tmp_path: Path
) -> None:
    odd = "msgbatch_x[b]" + CORPUS["title"]  # an older cache may hold an id today's sync would refuse
    session = make_session(demo, tmp_path)
    insert(session, raw_batch(odd, START_DT))
    app = BatchdeckApp(session, poll=False)
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_for(pilot, lambda: any(b.id == odd for b in app.main.feed.batches))
        move_to(app, lambda b: b.id == odd)
        await pilot.press("l")
        assert isinstance(app.screen, PromptScreen)
        await wait_for(pilot, lambda: "Label for" in screen_words(app))
        assert "Label for msgbatch_x[b]␛]0;pwn␇" in assert_nothing_raw(app)


# -- 4. "overdue" means unusually slow, and the demo's history fits its live batches -------------------
def overdue_panes(app: BatchdeckApp) -> dict[int, str]:
    """The live panes that say "overdue", by their batch's request count (the demo's sizes are distinct)."""
    drawn = {pane.shown_batch.counts.total: pane_drawn(pane) for pane in app.main.query(LivePane)}
    return {total: text for total, text in drawn.items() if "overdue" in text}


async def test_in_the_demo_only_the_unusually_slow_batch_is_overdue(demo: Emulator, tmp_path: Path) -> None:
    app = BatchdeckApp(make_session(demo, tmp_path))
    async with app.run_test(size=(160, 50)) as pilot:
        await polled(pilot)
        panes = list(app.main.query(LivePane))
        assert len(panes) == 5
        await wait_for(pilot, lambda: all("expires" in pane_drawn(p) for p in panes))
        assert list(overdue_panes(app)) == [20_000]  # 2 h in; last month's runs of its size took under 1 h 50 min
        assert "overdue: usually 1h" in overdue_panes(app)[20_000]
        for minute in range(1, 12):  # the others run to their end (within 11 minutes) without being called overdue
            demo.advance(60)
            app.main.feed.poll_now()
            await polled(pilot, minute + 1)
            assert list(overdue_panes(app)) == [20_000], minute
        ended = [p for p in app.main.query(LivePane) if p.shown_batch.processing_status == "ended"]
        assert len(ended) == 4  # three finished, one canceled: the check above saw each of them to its end


# -- 5. a sync that skipped malformed objects says so, once --------------------------------------------
async def test_skipped_malformed_batches_are_said_once_not_on_every_poll(tmp_path: Path) -> None:
    with FakeApi() as fake:
        fake.listed = [batch("msgbatch_good0001"), batch("msgbatch_bad00001", created_at="yesterday")]
        session = demo_session(fake.base_url, tmp_path)
        session.settings = session.settings.with_values({"sync.max_retries": 1, "results.auto_download": False})
        app = BatchdeckApp(session)
        async with app.run_test(size=(140, 30)) as pilot:
            await polled(pilot)
            await wait_for(pilot, lambda: "skipped 1 malformed batch object" in screen_words(app))
            assert "good0001" in screen_words(app) and "1 ended" in screen_words(app)  # the rest is listed
            for n in (2, 3):
                app.main.feed.poll_now()
                await polled(pilot, n)
            skipped = [m for m in said(app) if "malformed batch object" in m]
            assert len(skipped) == 1, said(app)
            assert skipped[0].startswith("skipped 1 malformed batch object from the API (first: ")
            assert fake.list_calls() >= 3  # the later polls did meet it again


# -- 6. the plain TUI quits on SIGTERM and SIGHUP as on q: terminal restored, 128 + n -----------------
class TuiInPty(DemoInPty):
    """`python -m batchdeck` (the TUI on the default profile) as the session leader of a new pty."""

    def __init__(self, env: dict[str, str]) -> None:  # not super().__init__: that starts the demo
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            os.execve(sys.executable, [sys.executable, "-m", "batchdeck"], env)
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLUMNS, 0, 0))
        self.output = b""
        self.status: int | None = None


@pytest.mark.slow
@pytest.mark.skipif(sys.platform != "linux", reason="a pty and Linux signals")
@pytest.mark.parametrize(("name", "code"), [("SIGTERM", 143), ("SIGHUP", 129)])
def test_the_tui_quits_on_a_stop_signal_and_restores_the_terminal(tmp_path: Path, name: str, code: int) -> None:
    with FakeApi() as fake:
        fake.listed = [batch("msgbatch_signal0001")]
        env = {
            **os.environ,
            **environment(tmp_path, fake),
            "TERM": "xterm-256color",
            "COLUMNS": str(COLUMNS),
            "LINES": str(ROWS),
        }
        tui = TuiInPty(env)
        try:
            assert tui.read(DRAWN, timeout=60), tui.output[-2000:]
            drawn = len(tui.output)
            os.kill(tui.pid, getattr(signal, name))
            status = tui.wait(timeout=30)
        finally:
            tui.kill()
    after = tui.output[drawn:]
    assert status == code, after[-2000:]
    assert RESTORED in after  # the alternate screen left: the terminal is the user's again
    assert b"Traceback" not in tui.output and b"batchdeck: error" not in after
