"""The TUI driven through Pilot against the emulator: what the user sees and what their keys do."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.message import Message

from batchdeck.core.workspace import Workspace
from batchdeck.emulator import Emulator, FaultConfig
from batchdeck.tui.app import BatchdeckApp
from batchdeck.tui.messages import BatchEnded
from batchdeck.tui.screens.confirm import ConfirmScreen
from batchdeck.tui.screens.detail import DetailScreen, detail_lines
from batchdeck.tui.screens.help import HelpScreen
from batchdeck.tui.widgets.batch_list import BatchList
from batchdeck.tui.widgets.live_pane import LivePane
from batchdeck.tui.widgets.status_line import StatusLine
from tests.ui.conftest import make_session, move_to, polled, press_and_poll, rows, wait_for

DAY = 86400.0
pytestmark = pytest.mark.anyio


def status_text(app: BatchdeckApp) -> str:
    return str(app.main.query_one(StatusLine).render())


async def test_list_shows_every_seeded_batch(app: BatchdeckApp, demo: Emulator) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await polled(pilot)
        live = [b for b in demo.store.all_batches() if b.status(demo.clock.now()) != "ended"]
        assert len(rows(app)) == len(demo.store.all_batches())
        assert {p.shown_batch.id for p in app.main.query(LivePane)} == {b.id for b in live}
        assert "synced just now" in status_text(app) and "5 live" in status_text(app)
        failed = [b for b in rows(app) if b.processing_status == "ended" and b.counts.failed]
        assert failed and all(b.status_text() != "ended" for b in failed)


async def test_cached_batches_show_before_the_network_answers(demo: Emulator, tmp_path: Path) -> None:
    session = make_session(demo, tmp_path)
    Workspace(session.config, session.profile, session.db_path, session.clock).syncer().sync()
    demo.faults.configure(FaultConfig(rate_slow=1.0, slow_seconds=2.0))
    app = BatchdeckApp(session)
    async with app.run_test() as pilot:
        await wait_for(pilot, lambda: len(rows(app)) > 0)
        await wait_for(pilot, lambda: app.main.feed.polling)  # the first poll starts once the rows are painted
        assert app.main.feed.polls_done == 0
        assert len(rows(app)) == len(demo.store.all_batches())
        demo.faults.clear()


async def test_filter_quick_filters_and_sort(app: BatchdeckApp) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await polled(pilot)
        total = len(rows(app))
        await pilot.press("slash", *"errored")
        assert 0 < len(rows(app)) < total and all("errored" in b.status_text() for b in rows(app))
        await pilot.press("escape")
        assert len(rows(app)) == total
        await pilot.press("slash", *"!ended")
        assert {b.processing_status for b in rows(app)} == {"in_progress", "canceling"}
        await pilot.press("escape", "f")  # all -> live
        assert app.main.quick == "live" and rows(app) and all(b.is_live for b in rows(app))
        await pilot.press("f")  # -> failed
        assert rows(app) and all(b.counts.failed for b in rows(app))
        await pilot.press("f", "f", "f")  # ended, deleted, back to all
        assert len(rows(app)) == total
        await pilot.press("s")  # created -> time: the next column
        durations = [b.duration_seconds(app.clock()) for b in rows(app)]
        assert app.main.sort == "time" and durations == sorted(durations, reverse=True)
        await pilot.press("s", "s", "s")  # left, cost, then id
        ids = [b.id for b in rows(app)]
        assert app.main.sort == "id" and ids == sorted(ids, reverse=True)
        await pilot.press("S")
        assert [b.id for b in rows(app)] == sorted(ids)


async def test_cancel_through_the_dialog(app: BatchdeckApp, demo: Emulator) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await polled(pilot)
        move_to(app, lambda b: b.processing_status == "in_progress")
        target = app.main.query_one(BatchList).current
        await pilot.press("c")
        assert isinstance(app.screen, ConfirmScreen) and target.id in str(app.screen.body)
        assert app.screen.focused is not None and app.screen.focused.id == "no"
        await press_and_poll(pilot, "y")
        assert demo.store.get(target.id, target_workspace(demo)).status(demo.clock.now()) == "canceling"
        assert next(b for b in rows(app) if b.id == target.id).processing_status == "canceling"


def target_workspace(demo: Emulator) -> str:
    return demo.store.all_batches()[0].workspace


async def test_saying_no_changes_nothing(app: BatchdeckApp, demo: Emulator) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await polled(pilot)
        move_to(app, lambda b: b.processing_status == "in_progress")
        calls = demo.stats.calls("cancel")
        await pilot.press("c", "n")
        assert not isinstance(app.screen, ConfirmScreen) and demo.stats.calls("cancel") == calls


async def test_delete_refused_while_live_then_allowed(app: BatchdeckApp, demo: Emulator) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await polled(pilot)
        move_to(app, lambda b: b.processing_status == "in_progress")
        target = app.main.query_one(BatchList).current.id
        await pilot.press("d")  # refused before any dialog (core.batches.rules)
        messages = [n.message for n in app._notifications]
        assert app.screen is app.main and f"cannot delete {target}: it is still running; cancel it first" in messages
        demo.advance(DAY)
        await press_and_poll(pilot, "r")
        move_to(app, lambda b: b.id == target)
        await press_and_poll(pilot, "d", "y")
        assert target not in [b.id for b in demo.store.all_batches() if not b.deleted]
        assert target not in [b.id for b in rows(app)]


async def test_readonly_blocks_every_change(demo: Emulator, tmp_path: Path) -> None:
    app = BatchdeckApp(make_session(demo, tmp_path), readonly=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await polled(pilot)
        assert "READONLY" in status_text(app)
        move_to(app, lambda b: b.processing_status == "in_progress")
        for key in ("c", "d", "l", "n"):
            await pilot.press(key)
            assert app.screen is app.main
        assert demo.stats.calls("cancel") == demo.stats.calls("delete") == 0
        titles = [c.title.split(" (")[0] for c in app.get_system_commands(app.screen)]  # titles end with their key
        assert "Refresh now" in titles and "Cancel batches" not in titles and "Delete batches" not in titles


async def test_batch_ending_raises_a_notification(app: BatchdeckApp, demo: Emulator) -> None:
    posted: list[Message] = []
    async with app.run_test(size=(120, 40), message_hook=posted.append) as pilot:
        await polled(pilot)
        demo.advance(11 * 60)  # the three short demo batches and the canceling one end
        await press_and_poll(pilot, "r")
        endings = [m.text for m in posted if isinstance(m, BatchEnded)]
        assert len(endings) >= 3 and all(" ended: " in text for text in endings)
        assert any(n.title == "Batch ended" for n in app._notifications)
        ended_panes = [p for p in app.main.query(LivePane) if p.shown_batch.processing_status == "ended"]
        assert len(ended_panes) >= 3 and "ok" in str(ended_panes[0].render())


async def test_errors_are_shown_and_the_app_recovers(app: BatchdeckApp, demo: Emulator) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await polled(pilot)
        demo.faults.configure(FaultConfig(rate_500=1.0, rate_slow=0.5, slow_seconds=0.1, retry_after=0.01))
        await press_and_poll(pilot, "r")
        assert "error" in status_text(app) and not app.main.feed.last_report.ok
        toasts = [n for n in app._notifications if n.title == "Sync failed"]
        assert len(toasts) == 1 and "HTTP 500" in toasts[0].message
        demo.faults.configure(FaultConfig(rate_429=1.0, retry_after=0.01))
        await press_and_poll(pilot, "r")
        assert "error" in status_text(app)
        demo.faults.clear()
        await press_and_poll(pilot, "r")
        assert app.main.feed.last_report.ok and "error" not in status_text(app)
        assert app.is_running


async def test_label_marks_copy_pause_help_and_detail(app: BatchdeckApp) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await polled(pilot)
        first = rows(app)[0]
        await pilot.press("l", *"nightly", "enter")
        await wait_for(pilot, lambda: rows(app)[0].label == "nightly")
        await pilot.press("y")
        assert app.clipboard == first.id
        await pilot.press("space", "space", "c")
        assert isinstance(app.screen, ConfirmScreen) and "Cancel 2 batches?" in app.screen.title_text
        await pilot.press("escape", "U", "p")
        assert app.main.feed.paused and "paused" in status_text(app)
        await pilot.press("p")
        assert not app.main.feed.paused
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen) and "Cancel" in app.screen.text
        await pilot.press("escape", "home", "enter")
        assert isinstance(app.screen, DetailScreen) and app.screen.shown_batch.id == first.id
        await pilot.press("escape")
        assert app.screen is app.main


async def test_polls_never_overlap(app: BatchdeckApp, demo: Emulator) -> None:
    app.main.feed.schedule.live_seconds = app.main.feed.schedule.idle_seconds = 3600  # only our polls
    async with app.run_test() as pilot:
        await polled(pilot)
        demo.faults.configure(FaultConfig(rate_slow=1.0, slow_seconds=0.5))
        before = demo.stats.calls("list")
        done = app.main.feed.polls_done
        for _ in range(5):
            await pilot.press("r")
        await wait_for(pilot, lambda: app.main.feed.polls_done >= done + 2 and not app.main.feed.polling)
        polls = app.main.feed.polls_done - done
        assert polls < 5  # presses during a poll fold into one more poll after it
        assert demo.stats.calls("list") - before == polls  # one request each: none started while another ran
        demo.faults.clear()


async def test_missing_key_is_explained_and_the_cache_still_shown(demo: Emulator, tmp_path: Path) -> None:
    session = make_session(demo, tmp_path)
    Workspace(session.config, session.profile, session.db_path, session.clock).syncer().sync()
    session.profile.api_key = ""
    session.profile.api_key_env = "BATCHDECK_TEST_UNSET_KEY"
    app = BatchdeckApp(session)
    async with app.run_test(size=(120, 40)) as pilot:
        await polled(pilot)
        assert len(rows(app)) == len(demo.store.all_batches())
        assert "error" in status_text(app)
        assert any("no API key for profile 'demo'" in n.message for n in app._notifications)


async def test_brackets_in_labels_and_filters_are_plain_text(demo: Emulator, tmp_path: Path) -> None:
    app = BatchdeckApp(make_session(demo, tmp_path), readonly=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await polled(pilot)
        await pilot.press("l", *"v2 [draft", "enter")
        await wait_for(pilot, lambda: rows(app)[0].label == "v2 [draft")
        await pilot.press("enter")
        await pilot.pause()  # the detail screen has rendered the label
        assert isinstance(app.screen, DetailScreen) and app.is_running
        assert ("label", "v2 [draft") in detail_lines(app.screen.shown_batch, None, app.clock(), False)
        await pilot.press("escape", "p", "slash", *"[0-9", "escape")
        await pilot.press("slash", *"a{99999999999}", "escape")
        assert app.is_running and app.screen is app.main
        await pilot.press("p")


async def test_marks_hidden_by_a_filter_still_count(app: BatchdeckApp) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await polled(pilot)
        move_to(app, lambda b: b.processing_status == "in_progress")
        marked = app.main.query_one(BatchList).current.id
        await pilot.press("space", "slash", *"ended", "enter")
        assert marked not in [b.id for b in rows(app)]
        assert "1 marked" in status_text(app)
        assert [b.id for b in app.main.selection()] == [marked]


async def test_a_poll_that_crashes_is_retried_with_backoff(app: BatchdeckApp, demo: Emulator) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await polled(pilot)
        app.main.feed.schedule.live_seconds = 0.05  # backoff starts from the live interval
        original = app.main.feed.session.workspace
        failures = []

        def broken() -> object:
            failures.append(1)
            if len(failures) == 1:
                raise RuntimeError("disk I/O error")
            return original()

        app.main.feed.session.workspace = broken  # type: ignore[method-assign]
        done = app.main.feed.polls_done
        await pilot.press("r")
        await wait_for(pilot, lambda: app.main.feed.polls_done >= done + 2)
        assert len(failures) >= 2 and app.main.feed.last_report.ok
        assert any("disk I/O error" in n.message for n in app._notifications)
