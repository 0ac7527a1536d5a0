"""State is always visible (issue 11 §2, §4 notifications; issue 12 item 5's widget ids).

Every test drives the real app through Pilot against the emulator (or a hostile fake API on
127.0.0.1) and asserts on what is drawn: the screen's composited lines, or a widget's lines.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import anthropic
import pytest
from textual.command import CommandPalette
from textual.geometry import Region
from textual.widget import Widget
from textual.widgets import Input
from textual.widgets._toast import Toast

from batchdeck.commands.demo_cmd import demo_session
from batchdeck.core.config.model import Config
from batchdeck.core.config.profiles import Profile
from batchdeck.core.session import Session
from batchdeck.core.sync.turnaround import estimate
from batchdeck.core.timefmt import iso, span
from batchdeck.core.workspace import Workspace
from batchdeck.emulator import Emulator, FaultConfig
from batchdeck.tui.app import BatchdeckApp
from batchdeck.tui.screens.prompt import PromptScreen
from batchdeck.tui.widgets.batch_list import BatchList
from batchdeck.tui.widgets.live_pane import LivePane
from batchdeck.tui.widgets.status_line import StatusLine
from tests.conftest import START, request
from tests.ui.conftest import make_session, polled, press_and_poll, rows, screen_text, wait_for

pytestmark = pytest.mark.anyio
START_DT = datetime.fromtimestamp(START, tz=UTC)


# -- what is drawn ------------------------------------------------------------------------------
def drawn(widget: Widget) -> list[str]:
    """The widget's lines as the compositor draws them."""
    width, height = widget.outer_size
    return [strip.text for strip in widget.render_lines(Region(0, 0, width, height))]


def words(text: str) -> str:
    """Text with wrapping undone: runs of spaces and line breaks become one space."""
    return " ".join(text.split())


def pane_drawn(pane: LivePane) -> str:
    """A live pane's lines, border (title) included."""
    return "\n".join(drawn(pane))


def status_drawn(app: BatchdeckApp) -> str:
    return drawn(app.main.query_one(StatusLine))[0]


def row_drawn(app: BatchdeckApp, batch_id: str) -> str:
    """The line of a batch in the list as last painted on the screen (it must be in view)."""
    batch_list = app.main.query_one(BatchList)
    index = next(i for i, b in enumerate(batch_list.rows) if b.id == batch_id)
    y = batch_list.region.y + index - batch_list.scroll_offset.y
    return screen_text(app).splitlines()[y]


def sync_first(session: Session) -> None:
    with session.workspace() as ws:
        ws.syncer().sync()


def raw_batch(batch_id: str, created: datetime, total: int = 100, label_status: str = "in_progress") -> dict:
    """A batch object in the API's shape."""
    return {
        "id": batch_id,
        "type": "message_batch",
        "processing_status": label_status,
        "request_counts": {"processing": total, "succeeded": 0, "errored": 0, "canceled": 0, "expired": 0},
        "created_at": iso(created),
        "expires_at": iso(created + timedelta(hours=24)),
        "ended_at": None,
        "cancel_initiated_at": None,
        "archived_at": None,
        "results_url": None,
    }


def insert(session: Session, *batches: dict) -> None:
    """Straight into the cache (a sync would refuse malformed ids, but an older cache may hold them)."""
    with Workspace(session.config, session.profile, session.db_path) as ws:
        ws.batches.store(list(batches), ws.now())


# -- 1. filters and sort are always named ---------------------------------------------------------
async def test_quick_filter_regex_and_sort_stay_in_the_status_line_across_polls(app: BatchdeckApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await polled(pilot)
        assert "sort created ↓" in status_drawn(app)
        await pilot.press("f", "f", "slash", *"e", "enter", "s")  # failed, /e, sort by the next column
        shown = len(rows(app))
        expected = f"showing {shown}: failed /e · sort time ↓"
        assert expected in status_drawn(app)
        await press_and_poll(pilot, "r")
        assert len(rows(app)) == shown
        assert expected in status_drawn(app)  # before: the poll's new status line forgot the view
        await press_and_poll(pilot, "r")
        assert expected in status_drawn(app)


# -- 2. empty states -----------------------------------------------------------------------------
async def test_a_filter_without_a_match_says_so_and_how_to_clear_it(app: BatchdeckApp) -> None:
    async with app.run_test(size=(100, 30)) as pilot:
        await polled(pilot)
        await pilot.press("f", "f", "slash", *"no-such-batch", "enter")
        assert rows(app) == []
        text = words(screen_text(app))
        assert "No failed batch matches /no-such-batch" in text
        assert "esc clears the text filter" in text and "f cycles the quick filter back to all" in text
        await pilot.press("escape", "f", "f", "f")
        assert rows(app) and "No failed batch" not in screen_text(app)


async def test_an_empty_workspace_says_it_has_no_batches(tmp_path: Path) -> None:
    with Emulator(speed=0, start_time=START) as emu:
        app = BatchdeckApp(make_session(emu, tmp_path))
        async with app.run_test(size=(100, 30)) as pilot:
            await polled(pilot)
            assert "No batches in this workspace yet" in screen_text(app)


async def test_no_key_has_its_own_empty_state(tmp_path: Path) -> None:
    profile = Profile("nokey", api_key_env="BATCHDECK_TEST_UNSET_KEY", base_url="http://127.0.0.1:9")
    session = Session(
        Config(tmp_path / "config.toml", default_profile="nokey", profiles={"nokey": profile}),
        profile,
        db_path=tmp_path / "cache.db",
    )
    app = BatchdeckApp(session)
    async with app.run_test(size=(120, 30)) as pilot:
        await polled(pilot)
        text = words(screen_text(app))
        assert "No API key for this profile" in text and "$BATCHDECK_TEST_UNSET_KEY" in text


class HostileApi(BaseHTTPRequestHandler):
    """Every request is refused with an error message that carries terminal escapes."""

    def do_GET(self) -> None:
        body = json.dumps(
            {
                "type": "error",
                "error": {"type": "invalid_request_error", "message": "bad\x1b]52;c;cHduZWQ=\x07 \x1b[2Jrequest"},
            }
        )
        payload = body.encode()
        self.send_response(400)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def hostile_api() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), HostileApi)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


async def test_an_api_error_has_its_own_empty_state_with_escapes_made_visible(hostile_api: str, tmp_path: Path) -> None:
    app = BatchdeckApp(demo_session(hostile_api, tmp_path))
    async with app.run_test(size=(120, 30)) as pilot:
        await polled(pilot)
        text = words(screen_text(app))
        assert "The API could not be read" in text
        assert "bad␛]52;c;cHduZWQ=␇ ␛[2Jrequest" in text and "\x1b" not in text
        assert "\x1b" not in "".join(n.message for n in app._notifications)


# -- 3. the command palette ----------------------------------------------------------------------
async def test_ctrl_p_opens_the_palette_whose_entries_show_their_keys(app: BatchdeckApp) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await polled(pilot)
        await pilot.press("ctrl+p")
        await wait_for(pilot, lambda: isinstance(app.screen, CommandPalette))
        await pilot.press(*"refresh")
        await wait_for(pilot, lambda: "Refresh now (r)" in screen_text(app))
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is app.main)
        await pilot.press("colon")
        await wait_for(pilot, lambda: isinstance(app.screen, CommandPalette))
        titles = [c.title for c in app.get_system_commands(app.main)]
        assert len(titles) == len(set(titles))
        assert "Keys" not in titles and "Keys of this screen (?)" in titles and "Quit (q)" in titles
        assert "Cancel batches (c)" in titles and "Show failed batches (f cycles)" in titles


# -- 4. overdue ----------------------------------------------------------------------------------
async def test_a_live_batch_past_its_usual_turnaround_says_overdue(demo: Emulator, tmp_path: Path) -> None:
    session = make_session(demo, tmp_path)
    sync_first(session)
    with session.workspace() as ws:
        guess = estimate(ws.batches.ended_durations(), 100)
    assert guess is not None
    late = START_DT - timedelta(seconds=guess.slow_seconds + 600)  # past the slow end: unusually slow
    insert(session, raw_batch("msgbatch_overdue0000000001", late), raw_batch("msgbatch_ontime00000000001", START_DT))
    app = BatchdeckApp(session, poll=False)
    async with app.run_test(size=(160, 50)) as pilot:
        await wait_for(pilot, lambda: len(list(app.main.query(LivePane))) > 2)
        panes = {p.shown_batch.id: p for p in app.main.query(LivePane)}
        late, on_time = panes["msgbatch_overdue0000000001"], panes["msgbatch_ontime00000000001"]
        await wait_for(pilot, lambda: "usually" in pane_drawn(late) and "usually" in pane_drawn(on_time))
        assert f"overdue: usually {span(guess.typical_seconds)}" in pane_drawn(late)
        assert "overdue" not in pane_drawn(on_time) and "usually" in pane_drawn(on_time)


# -- 5. the API's clock --------------------------------------------------------------------------
def create_batch(emu: Emulator) -> str:
    with anthropic.Anthropic(base_url=emu.base_url, api_key="k", max_retries=0) as client:
        return client.messages.batches.create(requests=[request("a"), request("b")]).id  # type: ignore[list-item]


def session_at(emu: Emulator, home: Path, now: list[datetime]) -> Session:
    """The demo profile on a local clock the test moves (`now[0]`), not the emulator's."""
    session = demo_session(emu.base_url, home, clock=lambda: now[0])
    session.settings = session.settings.with_values({"sync.max_retries": 1, "results.auto_download": False})
    return session


async def test_a_local_clock_that_is_off_does_not_age_new_batches(tmp_path: Path) -> None:
    with Emulator(speed=0, start_time=START, faults=FaultConfig(retry_after=0.01)) as emu:
        batch_id = create_batch(emu)  # created at START on the API's clock
        app = BatchdeckApp(session_at(emu, tmp_path, [START_DT + timedelta(hours=15)]))
        async with app.run_test(size=(120, 30)) as pilot:
            await polled(pilot)
            await pilot.pause()
            line = row_drawn(app, batch_id)
            assert "0s ago" in line and "15h" not in line
            pane = next(p for p in app.main.query(LivePane) if p.shown_batch.id == batch_id)
            await wait_for(pilot, lambda: "running" in pane_drawn(pane))
            assert "running 0s" in pane_drawn(pane)


async def test_times_ahead_of_the_clock_read_in(tmp_path: Path) -> None:
    with Emulator(speed=0, start_time=START, faults=FaultConfig(retry_after=0.01)) as emu:
        batch_id = create_batch(emu)
        now = [START_DT]
        session = session_at(emu, tmp_path, now)
        sync_first(session)
        now[0] = START_DT - timedelta(hours=8)  # behind the API, and no answer to correct it (no polls)
        app = BatchdeckApp(session, poll=False)
        async with app.run_test(size=(120, 30)) as pilot:
            await wait_for(pilot, lambda: bool(rows(app)))
            line = row_drawn(app, batch_id)
            assert "in 8h" in line and "8h ago" not in line


async def test_the_time_column_ticks_between_polls(tmp_path: Path) -> None:
    with Emulator(speed=0, start_time=START, faults=FaultConfig(retry_after=0.01)) as emu:
        batch_id = create_batch(emu)
        now = [START_DT]
        session = session_at(emu, tmp_path, now)
        sync_first(session)
        now[0] += timedelta(seconds=3)
        app = BatchdeckApp(session, poll=False)
        async with app.run_test(size=(120, 30)) as pilot:
            await wait_for(pilot, lambda: bool(rows(app)))
            await pilot.press("L")  # no live pane repainting beside the list: the list must tick by itself
            await wait_for(pilot, lambda: "3s ago" in row_drawn(app, batch_id))
            now[0] += timedelta(seconds=20)
            await wait_for(pilot, lambda: "23s ago" in row_drawn(app, batch_id), timeout=3.0)


def test_the_emulator_dates_its_answers_on_its_own_clock() -> None:
    with (
        Emulator(speed=0, start_time=START) as emu,
        anthropic.Anthropic(base_url=emu.base_url, api_key="k", max_retries=0) as client,
    ):
        response = client.messages.batches.with_raw_response.list()
        assert response.http_response.headers["date"] == "Sun, 01 Nov 2026 12:00:00 GMT"


# -- 7. notifications ----------------------------------------------------------------------------
async def test_toasts_are_short_and_the_flash_line_keeps_the_last_message(app: BatchdeckApp) -> None:
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await polled(pilot)
        app.notify("batch msgbatch_x ended: 3 succeeded", title="Batch ended", timeout=30)
        await wait_for(pilot, lambda: bool(app.screen.query(Toast)))
        assert [n.timeout for n in app._notifications][-1] == 8
        app.clear_notifications()  # as when the toast expires
        await wait_for(pilot, lambda: not app.screen.query(Toast))
        flash = app.main.query_one("#flash")
        assert "Batch ended: batch msgbatch_x ended: 3 succeeded" in drawn(flash)[0]
        app.notify("polling paused")
        await wait_for(pilot, lambda: "polling paused" in drawn(flash)[0])
        assert "Batch ended" not in drawn(flash)[0]


async def test_a_toast_never_covers_a_dialogs_input(app: BatchdeckApp) -> None:
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await polled(pilot)
        await pilot.press("l")
        await wait_for(pilot, lambda: isinstance(app.screen, PromptScreen))
        field = app.screen.query_one(Input)
        await pilot.press(*"nightly")
        for n in range(3):  # a batch ends and its hooks fail while the user types
            app.notify(
                f"problem {n}: the on-end command exited with status 1 after writing a long line of "
                "output that wraps over several lines of the toast",
                title="End-of-batch hook failed",
                severity="warning",
            )
        await wait_for(pilot, lambda: len(app.screen.query(Toast)) == 3)
        await pilot.pause()
        for toast in app.screen.query(Toast):
            if toast.region.height:
                assert not toast.region.overlaps(field.region)
        assert "nightly" in screen_text(app).splitlines()[field.region.y + 1]


# -- 8 and 9. widget ids and untrusted text -----------------------------------------------------
async def test_a_batch_id_with_a_dot_does_not_crash_the_app(demo: Emulator, tmp_path: Path) -> None:
    session = make_session(demo, tmp_path)
    insert(session, raw_batch("msgbatch_a.b", START_DT))
    app = BatchdeckApp(session, poll=False)
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for(pilot, lambda: bool(app.main.query(LivePane)))
        assert app.is_running
        pane = app.main.query_one(LivePane)
        await wait_for(pilot, lambda: "expires" in pane_drawn(pane))
        assert "a.b" in pane_drawn(pane)
        assert "a.b" in row_drawn(app, "msgbatch_a.b")


async def test_escapes_in_a_live_batch_are_shown_not_sent(demo: Emulator, tmp_path: Path) -> None:
    session = make_session(demo, tmp_path)
    insert(session, raw_batch("msgbatch_x\x1b]0;pwn\x07", START_DT))
    with session.workspace() as ws:
        ws.batches.set_meta("msgbatch_x\x1b]0;pwn\x07", ws.now(), label="evil\x1b[2J\u202elabel")
    app = BatchdeckApp(session, poll=False)
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for(pilot, lambda: bool(app.main.query(LivePane)))
        pane = app.main.query_one(LivePane)
        await wait_for(pilot, lambda: "expires" in pane_drawn(pane))
        text = pane_drawn(pane) + status_drawn(app)
        assert "x␛]0;pwn␇" in text and "evil␛[2J<U+202E>" in text
        assert "\x1b" not in text and "\u202e" not in text and "\x07" not in text
