"""Layout that keeps what matters, asserted on what the batch list and the detail screen draw: failure
counts before labels at 80 columns, thousands separators and plurals, STATUS sorted by failures, and
wide characters (CJK, emoji) that never shift the columns after them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx2
import pytest
from rich.cells import cell_len
from textual.pilot import Pilot

from batchdeck.core.batches.models import CachedBatch
from batchdeck.core.session import Session
from batchdeck.core.workspace import Workspace
from batchdeck.emulator import Emulator
from batchdeck.tui.app import BatchdeckApp
from batchdeck.tui.screens.detail import DetailScreen
from batchdeck.tui.widgets.batch_list import BatchList
from batchdeck.tui.widgets.columns import short_id
from tests.conftest import API_KEY, request
from tests.ui.conftest import make_session, move_to, polled, rows, screen_lines, wait_for

pytestmark = pytest.mark.anyio
HEADERS = {"x-api-key": API_KEY, "anthropic-version": "2023-06-01"}


def two_kinds_of_failure(batch: CachedBatch) -> bool:
    return batch.processing_status == "ended" and batch.counts.errored > 0 and batch.counts.expired > 0


def many_canceled(batch: CachedBatch) -> bool:
    return batch.processing_status == "ended" and batch.counts.canceled >= 1000


def labelled(session: Session, labels: dict[Callable[[CachedBatch], bool], str]) -> BatchdeckApp:
    """Sync the workspace once, give the first batch matching each predicate its label, then open the app."""
    with Workspace(session.config, session.profile, session.db_path, session.clock) as ws:
        ws.syncer().sync()
        batches = ws.batches.query()
        for predicate, label in labels.items():
            ws.batches.set_meta(next(b for b in batches if predicate(b)).id, ws.now(), label=label)
    return BatchdeckApp(session)


def list_lines(app: BatchdeckApp) -> list[str]:
    """The batch list's rows as drawn (mark column first), one string per visible line."""
    batch_list = app.main.query_one(BatchList)
    return [batch_list.render_line(y).text for y in range(batch_list.size.height)]


def drawn_row(app: BatchdeckApp, batch_id: str) -> str:
    lines = list_lines(app)
    found = [line for line in lines if line[2:].startswith(short_id(batch_id) + " ")]
    assert found, f"{batch_id} is not drawn: {lines}"
    return found[0]


async def bring_into_view(pilot: Pilot[None], app: BatchdeckApp, batch_id: str) -> None:
    """Put the cursor on the batch and let the list scroll until its row is drawn."""
    move_to(app, lambda b: b.id == batch_id)
    drawn = lambda: any(line[2:].startswith(short_id(batch_id) + " ") for line in list_lines(app))  # noqa: E731
    await wait_for(pilot, drawn)


async def detail_of(pilot: Pilot[None], app: BatchdeckApp, batch_id: str) -> list[str]:
    """`enter` on the cursor row; the detail screen's lines once it shows that batch's fields."""
    await pilot.press("enter")
    await wait_for(
        pilot,
        lambda: (
            isinstance(app.screen, DetailScreen)
            and app.screen.shown_batch.id == batch_id
            and any(line.split()[:1] == ["requests"] for line in screen_lines(app))
        ),
    )
    return screen_lines(app)


def drawn_batches(app: BatchdeckApp) -> list[CachedBatch]:
    """The batches whose rows are drawn, top to bottom (told apart by their short id)."""
    by_short_id = {short_id(b.id): b for b in rows(app)}
    return [by_short_id[line[2:13]] for line in list_lines(app) if line[2:13] in by_short_id]


async def test_status_badge_keeps_its_failure_counts_before_the_label_at_80x24(demo: Emulator, tmp_path: Path) -> None:
    app = labelled(make_session(demo, tmp_path), {two_kinds_of_failure: "nightly sentiment run"})
    async with app.run_test(size=(80, 24)) as pilot:
        await polled(pilot)
        target = next(b for b in rows(app) if two_kinds_of_failure(b))
        await bring_into_view(pilot, app, target.id)
        short = f"ended · {target.counts.errored:,} err · {target.counts.expired:,} exp"
        line = drawn_row(app, target.id)
        assert short in line, line
        assert f"{short_id(target.id)} nightly se" in line  # TIME gave its room, so the label stays readable
        assert cell_len(line) == app.main.query_one(BatchList).content_width
        header = next(line for line in screen_lines(app) if " STATUS " in line)
        assert "LABEL" in header and "TIME" not in header and header.index("LABEL") < header.index("STATUS")
        await pilot.resize_terminal(140, 40)
        await wait_for(
            pilot,
            lambda: any(
                line[2:].startswith(short_id(target.id)) and "nightly sentiment run" in line for line in list_lines(app)
            ),
        )
        full = f"ended · {target.counts.errored:,} errored · {target.counts.expired:,} expired"
        line = drawn_row(app, target.id)
        assert full in line and "nightly sentiment run" in line, line


async def test_numbers_have_separators_and_plurals_are_right(demo: Emulator, tmp_path: Path) -> None:
    single = httpx2.post(
        f"{demo.base_url}/v1/messages/batches", headers=HEADERS, json={"requests": [request("only-one")]}
    ).json()["id"]
    app = BatchdeckApp(make_session(demo, tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await polled(pilot)
        canceled = next(b for b in rows(app) if many_canceled(b))
        await bring_into_view(pilot, app, canceled.id)
        badge = f"ended · {canceled.counts.canceled:,} canceled"
        assert "," in badge and badge in drawn_row(app, canceled.id)
        shown = await detail_of(pilot, app, canceled.id)
        assert any(line.split()[:1] == ["status"] and badge in line for line in shown), shown
        assert any(f"{canceled.counts.total:,} requests: " in line for line in shown)
        await pilot.press("escape")
        move_to(app, lambda b: b.id == single)
        requests_line = next(line for line in await detail_of(pilot, app, single) if line.split()[:1] == ["requests"])
        assert "1 request: 1 processing" in requests_line, requests_line


async def test_sorting_by_status_orders_by_failure_count(demo: Emulator, tmp_path: Path) -> None:
    app = BatchdeckApp(make_session(demo, tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await polled(pilot)
        while app.main.sort != "status":
            await pilot.press("s")
        await pilot.press("home")
        await wait_for(pilot, lambda: drawn_batches(app)[:1] == rows(app)[:1])
        drawn = drawn_batches(app)
        failures = [b.counts.failed for b in drawn]
        assert len(drawn) >= 10 and failures == sorted(failures, reverse=True), failures
        assert drawn[0].counts.failed == max(b.counts.failed for b in rows(app))
        await pilot.press("S", "home")
        await wait_for(pilot, lambda: drawn_batches(app)[:1] == rows(app)[:1])
        drawn = drawn_batches(app)
        assert [b.counts.failed for b in drawn] == sorted(b.counts.failed for b in drawn)


def live(batch: CachedBatch) -> bool:
    return batch.processing_status == "in_progress"


async def test_wide_characters_in_labels_never_shift_the_columns(demo: Emulator, tmp_path: Path) -> None:
    labels = {
        lambda b: live(b) and b.counts.total == 40: "日本語のラベル",
        lambda b: live(b) and b.counts.total == 250: "🚀 launch 🚀",
        lambda b: live(b) and b.counts.total == 1200: "plain label",
        lambda b: live(b) and b.counts.total == 20_000: "長い長い長い長い長い長い長い長い長い長い",
    }
    app = labelled(make_session(demo, tmp_path), labels)
    async with app.run_test(size=(120, 40)) as pilot:
        await polled(pilot)
        await pilot.press("home")
        await wait_for(pilot, lambda: sum("in progress" in line for line in list_lines(app)) == 4)
        width = app.main.query_one(BatchList).content_width
        lines = [line for line in list_lines(app) if "in progress" in line]
        assert len(lines) == 4
        assert any("日本語のラベル" in line for line in lines) and any("🚀 launch 🚀" in line for line in lines)
        assert any("長い長い" in line and "…" in line for line in lines)  # cut by cells, with a mark
        starts = {cell_len(line[: line.index("in progress")]) for line in lines}
        assert len(starts) == 1, lines  # STATUS starts in the same cell on every row
        assert {cell_len(line) for line in lines} == {width}
        assert all(line.rstrip().endswith("—") for line in lines)  # COST still in the last column
