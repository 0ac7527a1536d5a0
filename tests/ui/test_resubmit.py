"""`R` in the TUI: preview by category with the cost, choose, send as a child batch; the job view merges attempts."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets import SelectionList

from batchdeck.core.jobs.submit import SubmitSource, plan_submit, submit
from batchdeck.core.results.filter import ResultFilter
from batchdeck.emulator import Emulator
from batchdeck.tui.app import BatchdeckApp
from batchdeck.tui.screens.job import JobScreen
from batchdeck.tui.screens.prompt import PromptScreen
from batchdeck.tui.screens.results import ResultsScreen
from batchdeck.tui.screens.retry_preview import RetryPreview
from batchdeck.tui.widgets.result_list import ResultList
from tests.conftest import START
from tests.core.jobs_helpers import end_all, line, received, write_requests
from tests.ui.conftest import make_session, move_to, polled, rows, wait_for

pytestmark = pytest.mark.anyio
TRANSIENT = {"overloaded_error", "api_error", "rate_limit_error", "timeout_error"}


@pytest.fixture
def emu() -> Iterator[Emulator]:
    with Emulator(speed=0, start_time=START, scenario="empty") as emulator:
        emulator.record_create_bodies()
        yield emulator


def failing_job(emu: Emulator, home: Path) -> tuple[str, dict[str, bytes]]:
    """A job submitted through batchdeck whose batch ended with transient and validation errors."""
    session = make_session(emu, home)
    emu.set_rates(error_rate=0.3)
    source = home / "requests.jsonl"
    lines = write_requests(source, 40, extra=[line("bad-model", model="claude-nope")])
    with session.workspace() as ws:
        batch_id = submit(ws, plan_submit(ws, SubmitSource(source))).batch_ids[0]
    session.close()
    end_all(emu)
    emu.set_rates(error_rate=0.0)
    return batch_id, {json.loads(raw)["custom_id"]: raw for raw in lines}


def failed_rows(app: BatchdeckApp, batch_id: str) -> dict[str, str]:
    with app.session.workspace() as ws:
        found = ws.results.rows(batch_id, ResultFilter(("errored", "expired", "canceled")).where())
    return {r.custom_id: f"errored:{r.error_type}" if r.outcome == "errored" else r.outcome for r in found}


async def open_preview(pilot, app: BatchdeckApp, batch_id: str) -> RetryPreview:  # type: ignore[no-untyped-def]
    """After the first sync, `R` on the batch, until its preview is up."""
    await polled(pilot)
    move_to(app, lambda b: b.id == batch_id)
    await pilot.press("R")
    await wait_for(pilot, lambda: isinstance(app.screen, RetryPreview))
    assert isinstance(app.screen, RetryPreview)
    return app.screen


async def test_preview_then_send_the_transient_failures(emu: Emulator, tmp_path: Path) -> None:
    batch_id, originals = failing_job(emu, tmp_path)
    app = BatchdeckApp(make_session(emu, tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        preview = await open_preview(pilot, app, batch_id)
        failed = failed_rows(app, batch_id)
        transient = sorted(c for c, cat in failed.items() if cat.split(":")[-1] in TRANSIENT)
        assert transient, failed  # the job has transient failures to send again
        assert preview.plan.categories["errored:not_found_error"] == 1
        assert sorted(preview.plan.selected) == transient and "bad-model" not in preview.plan.selected
        ticked = set(preview.query_one(SelectionList).selected)
        assert "errored:not_found_error" not in ticked and ticked <= {f"errored:{t}" for t in TRANSIENT}
        summary = str(preview.query_one("#retry-summary").render())
        assert f"will send {len(transient):,} requests" in summary and "estimated cost" in summary
        await pilot.press("y")
        await wait_for(pilot, lambda: any(b.parent_batch_id == batch_id for b in rows(app)))
        child = next(b for b in rows(app) if b.parent_batch_id == batch_id)
        parent = next(b for b in rows(app) if b.id == batch_id)
        assert parent.label == "requests" and child.label == "requests · retry 1"  # the job's name
        sent = received(emu, child.id)
        assert sorted(r["custom_id"] for r in sent) == transient
        assert all(r == json.loads(originals[r["custom_id"]]) for r in sent)  # the original params


async def test_choosing_categories_replans_and_keep_sends_nothing(emu: Emulator, tmp_path: Path) -> None:
    batch_id, _ = failing_job(emu, tmp_path)
    app = BatchdeckApp(make_session(emu, tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        preview = await open_preview(pilot, app, batch_id)
        before = len(preview.plan.selected)
        preview.query_one(SelectionList).select("errored:not_found_error")
        await wait_for(pilot, lambda: len(preview.plan.selected) == before + 1 and not preview.waiting)
        assert "bad-model" in preview.plan.selected
        creates = emu.stats.calls("create")
        await pilot.press("escape")
        await pilot.pause(0.2)
        assert emu.stats.calls("create") == creates and not isinstance(app.screen, RetryPreview)


async def test_marked_results_resend_only_those_rows(emu: Emulator, tmp_path: Path) -> None:
    batch_id, _ = failing_job(emu, tmp_path)
    app = BatchdeckApp(make_session(emu, tmp_path))
    async with app.run_test(size=(140, 40)) as pilot:
        await polled(pilot)
        move_to(app, lambda b: b.id == batch_id)
        await pilot.press("o")
        screen = app.screen
        assert isinstance(screen, ResultsScreen)
        await wait_for(pilot, lambda: screen.ready)
        await pilot.press("f")  # the failed rows
        await wait_for(pilot, lambda: screen.view == 1 and screen.query_one(ResultList).generation == screen.generation)
        transient = sorted(c for c, cat in failed_rows(app, batch_id).items() if cat.split(":")[-1] in TRANSIENT)
        first = screen.query_one(ResultList).current
        while first is not None and first.custom_id != transient[0]:
            await pilot.press("down")
            first = screen.query_one(ResultList).current
        await pilot.press("space", "R")
        await wait_for(pilot, lambda: isinstance(app.screen, RetryPreview))
        assert app.screen.plan.selected == (transient[0],)  # type: ignore[attr-defined]
        await pilot.press("y")
        await wait_for(pilot, lambda: any(b.parent_batch_id == batch_id for b in rows(app)))
        child = next(b for b in rows(app) if b.parent_batch_id == batch_id)
        assert [r["custom_id"] for r in received(emu, child.id)] == [transient[0]]


async def test_a_batch_made_elsewhere_asks_for_its_file(emu: Emulator, tmp_path: Path) -> None:
    emu.set_rates(expire_rate=0.4)
    source = tmp_path / "theirs.jsonl"
    lines = write_requests(source, 20, prefix="t")
    import anthropic

    from tests.conftest import API_KEY

    with anthropic.Anthropic(api_key=API_KEY, base_url=emu.base_url) as client:
        batch_id = client.messages.batches.create(requests=[json.loads(raw) for raw in lines]).id
    emu.set_rates(expire_rate=0.0)
    end_all(emu)
    app = BatchdeckApp(make_session(emu, tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await polled(pilot)
        move_to(app, lambda b: b.id == batch_id)
        await pilot.press("R")
        await wait_for(pilot, lambda: isinstance(app.screen, PromptScreen))
        await pilot.press(*str(source), "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, RetryPreview))
        expired = sorted(c for c, cat in failed_rows(app, batch_id).items() if cat == "expired")
        assert expired and sorted(app.screen.plan.selected) == expired  # type: ignore[attr-defined]
        assert any("attached file" in s for s in app.screen.plan.sources)  # type: ignore[attr-defined]


async def test_readonly_blocks_resubmission(emu: Emulator, tmp_path: Path) -> None:
    batch_id, _ = failing_job(emu, tmp_path)
    app = BatchdeckApp(make_session(emu, tmp_path), readonly=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await polled(pilot)
        move_to(app, lambda b: b.id == batch_id)
        creates = emu.stats.calls("create")
        await pilot.press("R")
        await pilot.pause(0.3)
        assert not isinstance(app.screen, RetryPreview) and emu.stats.calls("create") == creates


async def test_job_view_merges_attempts(emu: Emulator, tmp_path: Path) -> None:
    batch_id, originals = failing_job(emu, tmp_path)
    app = BatchdeckApp(make_session(emu, tmp_path))
    async with app.run_test(size=(130, 40)) as pilot:
        await polled(pilot)
        move_to(app, lambda b: b.id == batch_id)
        await pilot.press("J")
        screen = app.screen
        assert isinstance(screen, JobScreen)
        await wait_for(pilot, lambda: screen.view is not None)
        first_failing = screen.view.failing
        assert first_failing == len(failed_rows(app, batch_id)) > 0 and len(screen.view.rows) == len(originals)
        await pilot.press("R")
        await wait_for(pilot, lambda: isinstance(app.screen, RetryPreview))
        await pilot.press("y")
        await wait_for(pilot, lambda: app.screen is screen and len(screen.view.submissions) == 2)
        end_all(emu)
        await pilot.press("r")
        await wait_for(pilot, lambda: screen.view is not None and screen.view.failing < first_failing)
        assert screen.view.failing == 1  # only the row with a bad model is left: it fails on every attempt


def test_the_demo_submits_its_own_job(emu: Emulator, tmp_path: Path) -> None:
    from batchdeck.commands.demo_job import submit_in_background

    session = make_session(emu, tmp_path)
    session.workspace().close()
    submit_in_background(session, emu, tmp_path).join(timeout=30)
    with session.workspace() as ws:
        [job] = ws.jobs.jobs()
        [batch] = ws.batches.query()
    session.close()
    assert job.name == "nightly ticket triage" and batch.counts.total == 121 and batch.label == job.name
    assert emu.api.rates.error_rate == 0.0  # later batches are not affected
