"""The results screen through Pilot: download on open, search, filters, the detail pane, copy and export."""

from __future__ import annotations

import io
import json
from pathlib import Path

import httpx2
import pytest
from rich.console import Console
from textual.widgets import Static

from batchdeck.core.results.browse import PAGE_ROWS
from batchdeck.emulator import Emulator
from batchdeck.tui.app import BatchdeckApp
from batchdeck.tui.messages import HooksRan
from batchdeck.tui.screens.confirm import ConfirmScreen
from batchdeck.tui.screens.export_dialog import ExportDialog
from batchdeck.tui.screens.results import ResultsScreen
from batchdeck.tui.widgets.batch_list import BatchList
from batchdeck.tui.widgets.columns import cell_text
from batchdeck.tui.widgets.result_list import ResultList
from tests.conftest import API_KEY
from tests.ui.conftest import make_session, move_to, open_results, polled, rows, wait_for

pytestmark = pytest.mark.anyio
HEADERS = {"x-api-key": API_KEY, "anthropic-version": "2023-06-01"}


def emulator_lines(emu: Emulator, batch_id: str) -> dict[str, bytes]:
    """The emulator's own results body for a batch, by custom_id (what the screen must agree with)."""
    body = httpx2.get(f"{emu.base_url}/v1/messages/batches/{batch_id}/results", headers=HEADERS).content
    return {json.loads(line)["custom_id"]: line + b"\n" for line in body.splitlines() if line.strip()}


def small_failed(batch: object) -> bool:
    counts = batch.counts  # type: ignore[attr-defined]
    return batch.processing_status == "ended" and counts.errored > 0 and counts.total <= 800  # type: ignore[attr-defined]


def pane_text(screen: ResultsScreen) -> str:
    """What the detail pane shows, as plain text."""
    console = Console(width=100, file=io.StringIO(), record=True)
    console.print(screen.query_one("#result-pane-body", Static).content)
    return console.export_text()


def listed(screen: ResultsScreen) -> list[str]:
    result_list = screen.query_one(ResultList)
    return [result_list.row_at(i).custom_id for i in range(result_list.total) if result_list.row_at(i)]


async def test_open_downloads_then_lists_every_result(demo: Emulator, tmp_path: Path) -> None:
    app = BatchdeckApp(make_session(demo, tmp_path))
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await open_results(pilot, app, small_failed)
        batch = screen.shown_batch
        expected = emulator_lines(demo, batch.id)
        assert screen.total == batch.counts.total == len(expected)
        assert listed(screen) == sorted(expected)[:PAGE_ROWS]
        title = str(screen.query_one("#results-title").render())
        assert f"{batch.counts.errored:,} errored" in title and "at batch prices" in title
        await pilot.press("escape")
        await wait_for(pilot, lambda: any(b.id == batch.id and b.results_saved for b in rows(app)))
        saved = next(b for b in rows(app) if b.id == batch.id)
        assert cell_text(saved, "left", app.clock()) == "saved" and cell_text(saved, "cost", app.clock()).startswith(
            "$"
        )


async def test_search_prefix_and_glob_with_a_count(demo: Emulator, tmp_path: Path) -> None:
    app = BatchdeckApp(make_session(demo, tmp_path))
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await open_results(pilot, app, small_failed)
        ids = sorted(emulator_lines(demo, screen.shown_batch.id))
        prefix = ids[0][:-1]  # all ids sharing every character but the last
        await pilot.press("slash", *prefix)
        wanted = [i for i in ids if i.startswith(prefix)]
        await wait_for(pilot, lambda: screen.total == len(wanted) and listed(screen) == wanted)
        assert f"{len(wanted):,} of {len(ids):,} shown" in str(screen.query_one("#results-header").render())
        await pilot.press("enter")  # keeps the search, back to the list
        assert screen.query_one(ResultList).has_focus
        await pilot.press("slash", *"*1")  # focusing the search selects it: typing replaces it
        glob_wanted = [i for i in ids if i.endswith("1")]
        await wait_for(pilot, lambda: listed(screen) == glob_wanted)
        await pilot.press("escape")  # clears the search, stays on the screen
        await wait_for(pilot, lambda: screen.total == len(ids))
        assert app.screen is screen
        await pilot.press("slash", *"no-such-id")
        await wait_for(pilot, lambda: screen.total == 0)
        assert "no result matches" in pane_text(screen)


async def test_outcome_and_error_filters_and_the_detail_pane(demo: Emulator, tmp_path: Path) -> None:
    app = BatchdeckApp(make_session(demo, tmp_path))
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await open_results(pilot, app, small_failed)
        lines = emulator_lines(demo, screen.shown_batch.id)
        outcome = {cid: json.loads(line)["result"] for cid, line in lines.items()}
        await pilot.press("f")  # failed
        failed = sorted(c for c, r in outcome.items() if r["type"] != "succeeded")
        await wait_for(pilot, lambda: listed(screen) == failed)
        await pilot.press("t")  # the most common error type
        top = max(screen.facets[1], key=lambda t: screen.facets[1][t])
        typed = sorted(c for c, r in outcome.items() if r["type"] == "errored" and r["error"]["error"]["type"] == top)
        await wait_for(pilot, lambda: listed(screen) == typed)
        pane = pane_text(screen)
        first = outcome[typed[0]]["error"]["error"]
        assert typed[0] in pane and first["type"] in pane and first["message"] in pane
        await pilot.press("f")  # a new outcome view drops the error type when it cannot apply
        await wait_for(pilot, lambda: screen.error_type is None or screen.view in (1, 3))


async def test_copy_marks_and_quick_export(demo: Emulator, tmp_path: Path) -> None:
    session = make_session(demo, tmp_path)
    session.settings = session.settings.with_values({"results.export_dir": str(tmp_path / "out")})
    app = BatchdeckApp(session)
    copied: list[str] = []
    app.copy_to_clipboard = copied.append  # type: ignore[method-assign]  # the terminal's clipboard is not ours
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await open_results(pilot, app, small_failed)
        lines = emulator_lines(demo, screen.shown_batch.id)
        ids = sorted(lines)
        await pilot.press("y")
        assert copied[-1] == ids[0]
        await pilot.press("Y")
        assert copied[-1] and copied[-1] == screen.detail.text
        await pilot.press("f", "e")  # the failed rows, as shown
        failed = [c for c in ids if json.loads(lines[c])["result"]["type"] != "succeeded"]
        await wait_for(pilot, lambda: listed(screen) == failed)
        await pilot.press("e")
        target = tmp_path / "out" / f"{screen.shown_batch.id}-canceled-errored-expired.jsonl"
        await wait_for(pilot, lambda: target.exists())
        assert sorted(target.read_bytes().splitlines(keepends=True)) == sorted(lines[c] for c in failed)
        await pilot.press("space", "space")  # mark two rows, export just those (never over the first file)
        await pilot.press("e")
        marked = tmp_path / "out" / f"{screen.shown_batch.id}-marked.jsonl"
        await wait_for(pilot, lambda: marked.exists())
        assert sorted(marked.read_bytes().splitlines(keepends=True)) == sorted(lines[c] for c in failed[:2])
        await pilot.press("y")
        assert copied[-1] == "\n".join(failed[:2])


async def test_export_dialog_writes_csv_and_asks_before_replacing(demo: Emulator, tmp_path: Path) -> None:
    session = make_session(demo, tmp_path)
    app = BatchdeckApp(session)
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await open_results(pilot, app, small_failed)
        target = tmp_path / "all.csv"
        await pilot.press("E")
        dialog = app.screen
        assert isinstance(dialog, ExportDialog)
        await pilot.press("down", "space")  # csv
        path = dialog.query_one("#export-path")
        assert path.value.endswith(".csv")  # type: ignore[attr-defined]
        path.value = str(target)  # type: ignore[attr-defined]
        path.focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: target.exists())
        import csv

        with target.open(newline="") as fh:
            parsed = list(csv.DictReader(fh))
        assert len(parsed) == screen.shown_batch.counts.total
        assert {r["custom_id"] for r in parsed} == set(emulator_lines(demo, screen.shown_batch.id))
        before = target.read_bytes()
        await pilot.press("E")
        dialog = app.screen
        path = dialog.query_one("#export-path")
        path.value = str(target)  # type: ignore[attr-defined]
        path.focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("n")  # keep the file: back in the dialog
        await pilot.pause(0.2)
        assert target.read_bytes() == before and app.screen is dialog
        await pilot.press("escape")
        assert app.screen is screen


async def test_results_that_cannot_be_had_say_why(demo: Emulator, tmp_path: Path) -> None:
    app = BatchdeckApp(make_session(demo, tmp_path))
    async with app.run_test(size=(140, 40)) as pilot:
        await polled(pilot)
        move_to(app, lambda b: b.processing_status == "in_progress")
        await pilot.press("o")
        screen = app.screen
        assert isinstance(screen, ResultsScreen)
        assert "available once the batch ends" in str(screen.query_one("#results-state").render())
        await pilot.press("escape")
        archived = [b for b in rows(app) if b.archived_at and not b.deleted_at]
        assert archived, "the demo has archived batches"
        move_to(app, lambda b: b.id == archived[0].id)
        await pilot.press("o")
        assert "no local copy was kept" in str(app.screen.query_one("#results-state").render())


async def test_thinking_folds_and_unfolds(demo: Emulator, tmp_path: Path) -> None:
    app = BatchdeckApp(make_session(demo, tmp_path))
    async with app.run_test(size=(140, 40)) as pilot:
        await polled(pilot)
        found = None
        for batch in rows(app):
            if batch.processing_status == "ended" and not batch.archived_at and batch.counts.total <= 500:
                lines = emulator_lines(demo, batch.id)
                found = next(
                    (
                        (batch.id, cid)
                        for cid, line in lines.items()
                        if b'"type":"thinking"' in line or b'"type": "thinking"' in line
                    ),
                    None,
                )
                if found:
                    break
        assert found, "the demo has a batch whose results carry thinking"
        screen = await open_results(pilot, app, lambda b: b.id == found[0])
        await pilot.press("slash", *found[1], "enter")
        await wait_for(pilot, lambda: screen.detail is not None and screen.detail.custom_id == found[1])
        thinking = next(b for b in screen.detail.blocks if b.kind == "thinking")
        assert "folded" in pane_text(screen) and thinking.body[:30] not in pane_text(screen)
        await pilot.press("z")
        assert thinking.body[:30] in pane_text(screen)


async def test_auto_download_saves_ended_batches(tmp_path: Path) -> None:
    from tests.conftest import START
    from tests.core.conftest import seed

    with Emulator(speed=0, start_time=START, scenario="empty") as emu:
        seed(emu, 3, size=20)
        emu.advance(86400)
        app = BatchdeckApp(make_session(emu, tmp_path, auto_download=True))
        async with app.run_test(size=(140, 40)) as pilot:
            await polled(pilot)
            await wait_for(pilot, lambda: len(rows(app)) == 3 and all(b.results_saved for b in rows(app)))
            assert all(b.cost_usd is not None and b.cost_usd > 0 for b in rows(app))
            assert all(cell_text(b, "left", app.clock()) == "saved" for b in app.main.query_one(BatchList).rows)


async def test_export_marked_batches_from_the_list(demo: Emulator, tmp_path: Path) -> None:
    session = make_session(demo, tmp_path)
    session.settings = session.settings.with_values({"results.export_dir": str(tmp_path / "out")})
    app = BatchdeckApp(session)
    async with app.run_test(size=(140, 40)) as pilot:
        await polled(pilot)
        small = [
            b
            for b in rows(app)
            if b.processing_status == "ended" and not b.archived_at and not b.deleted_at and b.counts.total <= 500
        ][:2]
        assert len(small) == 2, "the demo has small ended batches to export"
        for batch in small:
            move_to(app, lambda b, i=batch.id: b.id == i)
            await pilot.press("space")
        await pilot.press("e")
        files = [tmp_path / "out" / f"{b.id}.jsonl" for b in small]
        await wait_for(pilot, lambda: all(f.exists() for f in files))
        for batch, path in zip(small, files, strict=True):
            assert sorted(path.read_bytes().splitlines(keepends=True)) == sorted(
                emulator_lines(demo, batch.id).values()
            )


async def test_end_hooks_fire_from_the_tui(tmp_path: Path) -> None:
    from tests.conftest import START
    from tests.core.conftest import seed
    from tests.ui.conftest import press_and_poll

    with Emulator(speed=0, start_time=START, scenario="empty") as emu:
        [batch_id] = seed(emu, 1, size=30)
        session = make_session(emu, tmp_path)
        env_file = tmp_path / "hook.env"
        session.settings = session.settings.with_values({"hooks.on_end": f"env > {env_file}", "hooks.download": True})
        app = BatchdeckApp(session, readonly=True)
        ran: list[HooksRan] = []
        hook = lambda m: ran.append(m) if isinstance(m, HooksRan) else None  # noqa: E731
        async with app.run_test(size=(120, 40), message_hook=hook) as pilot:
            await polled(pilot)
            assert rows(app)[0].is_live
            emu.advance(86400)
            await press_and_poll(pilot, "r")
            await wait_for(pilot, lambda: bool(ran) and env_file.exists())
            env = dict(line.split("=", 1) for line in env_file.read_text().splitlines() if "=" in line)
            assert env["BATCHDECK_BATCH_ID"] == batch_id and env["BATCHDECK_TOTAL"] == "30"
            assert Path(env["BATCHDECK_RESULTS_PATH"]).exists()  # hooks.download saved them first
            assert session.profile.api_key.reveal() not in env_file.read_text()
            assert ran[0].batch_id == batch_id and ran[0].outcomes and all(ok for ok, _ in ran[0].outcomes)
