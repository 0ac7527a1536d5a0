"""The sync engine against the emulator: full walks, incremental cost, deletions, faults."""

from __future__ import annotations

import threading

import anthropic
import pytest

from batchdeck.core.sync.report import SyncReport
from batchdeck.core.workspace import Workspace
from batchdeck.emulator import Emulator, FaultConfig, Rates
from tests.conftest import request
from tests.core.conftest import cache_view, emulator_view, seed

DAY = 86400.0


@pytest.mark.parametrize("count", [0, 1, 1000, 1001, 5000])
def test_first_sync_stores_every_batch(ws: Workspace, emulator: Emulator, count: int) -> None:
    ids = seed(emulator, count)
    emulator.stats.reset()
    report = ws.syncer().sync()
    assert report.ok and report.full_walk and report.new == count
    assert [b.id for b in ws.batches.query()] == ids
    assert cache_view(ws) == emulator_view(emulator)
    pages = max(1, -(-count // 1000))
    assert emulator.stats.calls("list") == pages + 1  # the walk, then one head read for batches made meanwhile
    assert emulator.stats.calls("retrieve") == 0


def test_unchanged_workspace_costs_one_request(ws: Workspace, emulator: Emulator) -> None:
    seed(emulator, 2500)
    ws.syncer().sync()
    emulator.stats.reset()
    report = ws.syncer().sync()
    assert report.ok and not report.full_walk and report.new == 0
    assert emulator.stats.calls() == 1 and report.requests == 1


def test_live_batches_in_the_newest_page_cost_nothing_extra(
    ws: Workspace, emulator: Emulator, client: anthropic.Anthropic
) -> None:
    seed(emulator, 300)
    emulator.advance(DAY)  # the seeded history has ended
    live = [client.messages.batches.create(requests=[request(f"r{i}")]).id for i in range(50)]
    ws.syncer().sync()
    assert all(ws.batches.get(i).processing_status == "in_progress" for i in live)  # type: ignore[union-attr]
    emulator.advance(DAY)
    emulator.stats.reset()
    report = ws.syncer().sync()
    assert emulator.stats.calls() == 1 and report.ok
    assert all(ws.batches.get(i).processing_status == "ended" for i in live)  # type: ignore[union-attr]
    assert cache_view(ws) == emulator_view(emulator)


def test_new_batches_are_read_until_known_ones(ws: Workspace, emulator: Emulator) -> None:
    seed(emulator, 10)
    ws.syncer().sync()
    emulator.advance(2000)
    seed(emulator, 1500)  # all newer than the first ten
    emulator.stats.reset()
    report = ws.syncer().sync()
    assert report.new == 1500 and emulator.stats.calls("list") == 2
    assert cache_view(ws) == emulator_view(emulator)


def test_old_live_batch_is_refreshed_by_retrieve(
    ws: Workspace, emulator: Emulator, client: anthropic.Anthropic
) -> None:
    emulator.set_rates(expire_rate=1.0)  # its rows never run: it stays in progress for 24 h
    old_live = client.messages.batches.create(requests=[request("slow")]).id
    seed(emulator, 1200)  # pushes the live batch off the newest page
    ws.syncer().sync()
    emulator.advance(DAY)
    emulator.stats.reset()
    ws.syncer().sync()
    assert (emulator.stats.calls("list"), emulator.stats.calls("retrieve")) == (1, 1)
    assert ws.batches.get(old_live).processing_status == "ended"  # type: ignore[union-attr]


def test_remote_deletion_is_marked_and_metadata_kept(
    ws: Workspace, emulator: Emulator, client: anthropic.Anthropic
) -> None:
    ids = seed(emulator, 20)
    emulator.advance(DAY)
    ws.syncer().sync()
    ws.batches.set_meta(ids[5], ws.now(), label="keep me", note="important")
    client.messages.batches.delete(ids[5])
    client.messages.batches.delete(ids[0])  # the newest one, above every page boundary
    report = ws.syncer().sync()
    assert report.deleted == 2
    gone = ws.batches.get(ids[5])
    assert gone is not None and gone.deleted_at is not None and gone.label == "keep me" and gone.note == "important"
    assert ids[5] not in [b.id for b in ws.batches.query()]
    assert ids[5] in [b.id for b in ws.batches.query(include_deleted=True)]
    assert cache_view(ws) == emulator_view(emulator)


def test_live_batch_deleted_elsewhere_is_marked_via_404(
    ws: Workspace, emulator: Emulator, client: anthropic.Anthropic
) -> None:
    emulator.set_rates(expire_rate=1.0)
    live = client.messages.batches.create(requests=[request("x")]).id
    seed(emulator, 1100)
    ws.syncer().sync()
    assert ws.batches.get(live).processing_status == "in_progress"  # type: ignore[union-attr]
    emulator.advance(DAY)
    client.messages.batches.delete(live)
    emulator.stats.reset()
    report = ws.syncer().sync()
    assert report.ok and report.deleted == 1
    assert emulator.stats.status_count("retrieve", 404) == 1
    assert ws.batches.get(live).deleted_at is not None  # type: ignore[union-attr]


def test_batches_created_mid_walk_are_caught(ws: Workspace, emulator: Emulator, client: anthropic.Anthropic) -> None:
    seed(emulator, 4000)
    emulator.faults.configure(FaultConfig(rate_slow=1.0, slow_seconds=0.05))
    stop = threading.Event()

    def keep_creating() -> None:
        i = 0
        while not stop.is_set():
            client.messages.batches.create(requests=[request(f"m{i}")])
            i += 1

    creator = threading.Thread(target=keep_creating)
    creator.start()
    try:
        report = ws.syncer().sync()
    finally:
        stop.set()
        creator.join()
    emulator.faults.clear()
    assert report.ok
    ws.syncer().sync()
    assert cache_view(ws) == emulator_view(emulator)


def test_failure_mid_walk_keeps_pages_and_resumes(ws: Workspace, emulator: Emulator) -> None:
    seed(emulator, 3500)
    emulator.faults.set(retry_after=0.001)
    emulator.faults.queue("500", count=3, endpoint="list")  # all three attempts of the first page fail...
    first = ws.syncer().sync()
    assert not first.ok and first.error_kind == "server" and "HTTP 500" in (first.error or "")
    assert ws.batches.query() == []
    emulator.stats.reset()
    second = ws.syncer().sync()  # ...the next sync starts over and gets further
    assert second.ok and emulator.stats.calls("list") == 5
    # Cut a walk short after two pages, then resume from the stored position.
    ws.batches.clear_batches()
    state_calls = []
    original = ws.api.list_page

    def failing_third_page(*args: object, **kwargs: object) -> object:
        state_calls.append(kwargs.get("after_id"))
        if len(state_calls) == 3:
            emulator.faults.queue("529", count=3, endpoint="list")
        return original(*args, **kwargs)  # type: ignore[arg-type]

    ws.api.list_page = failing_third_page  # type: ignore[method-assign]
    broken = ws.syncer().sync()
    assert not broken.ok and len(ws.batches.query()) == 2000
    assert ws.batches.sync_state().walk_cursor is not None
    ws.api.list_page = original  # type: ignore[method-assign]
    emulator.stats.reset()
    resumed = ws.syncer().sync()
    assert resumed.ok and emulator.stats.calls("list") == 3  # pages 3 and 4, then the head
    assert cache_view(ws) == emulator_view(emulator)
    assert ws.batches.sync_state().last_error is None


def test_sync_through_random_faults_matches_a_clean_one(ws: Workspace, emulator: Emulator) -> None:
    seed(emulator, 3000, rates=Rates(error_rate=0.1))
    emulator.advance(DAY)
    emulator.faults.configure(
        FaultConfig(rate_429=0.1, rate_500=0.05, rate_529=0.05, rate_drop=0.02, retry_after=0.001, seed=11)
    )
    ws.settings = ws.settings.with_values({"sync.max_retries": 6})
    reports = [ws.syncer().sync() for _ in range(3)]
    assert any(r.ok for r in reports)
    emulator.faults.clear()
    assert cache_view(ws) == emulator_view(emulator)


def test_network_failure_is_reported_and_cache_kept(ws: Workspace, emulator: Emulator) -> None:
    seed(emulator, 5)
    ws.syncer().sync()
    emulator.stop()
    report = ws.syncer().sync()
    assert not report.ok and report.error_kind == "network"
    assert "cannot reach" in (report.error or "")
    assert len(ws.batches.query()) == 5
    state = ws.batches.sync_state()
    assert state.last_error == report.error and state.last_success_at is not None


def test_interrupted_incremental_sync_carries_on_next_time(ws: Workspace, emulator: Emulator) -> None:
    seed(emulator, 10)
    ws.syncer().sync()
    seed(emulator, 1500)
    emulator.faults.set(retry_after=0.001)
    calls = []
    original = ws.api.list_page

    def second_page_fails(*args: object, **kwargs: object) -> object:
        calls.append(1)
        if len(calls) == 2:
            emulator.faults.queue("500", count=3, endpoint="list")
        return original(*args, **kwargs)  # type: ignore[arg-type]

    ws.api.list_page = second_page_fails  # type: ignore[method-assign]
    assert not ws.syncer().sync().ok
    ws.api.list_page = original  # type: ignore[method-assign]
    assert len(ws.batches.query()) == 1010  # the first page only
    assert ws.syncer().sync().ok
    assert cache_view(ws) == emulator_view(emulator)


def test_a_batch_stored_before_the_sync_does_not_stop_it_early(ws: Workspace, emulator: Emulator) -> None:
    seed(emulator, 5)
    ws.syncer().sync()
    newest = seed(emulator, 200)[0]
    ws.batches.store([ws.api.retrieve(newest)], ws.now())  # as `label` or `show` would
    assert ws.syncer().sync().ok
    assert cache_view(ws) == emulator_view(emulator)


def test_a_batch_stored_by_someone_else_meanwhile_is_not_marked_deleted(
    ws: Workspace, emulator: Emulator, client: anthropic.Anthropic
) -> None:
    seed(emulator, 5)
    ws.syncer().sync()
    page = ws.api.list_page()  # what a sync reads...
    fresh = client.messages.batches.create(requests=[request("new")])  # ...then another process stores this
    ws.batches.store([ws.api.retrieve(fresh.id)], ws.now())
    vanished = ws.batches.ids_created_between(None, None) - {b["id"] for b in page.data}
    ws.syncer().retrieves.confirm_vanished(SyncReport(), vanished)
    assert ws.batches.get(fresh.id).deleted_at is None  # type: ignore[union-attr]


def test_full_sync_finds_old_deletions(ws: Workspace, emulator: Emulator, client: anthropic.Anthropic) -> None:
    ids = seed(emulator, 1500)
    emulator.advance(DAY)
    ws.syncer().sync()
    client.messages.batches.delete(ids[-1])  # the oldest: far below the newest page
    assert ws.syncer().sync().deleted == 0  # an incremental sync does not look there
    report = ws.syncer().sync(full=True)
    assert report.ok and report.deleted == 1
    assert ws.batches.get(ids[-1]).deleted_at is not None  # type: ignore[union-attr]
    assert cache_view(ws) == emulator_view(emulator)


def test_resume_cursor_that_vanished_restarts_the_walk(ws: Workspace, emulator: Emulator) -> None:
    seed(emulator, 2500)
    with ws.db.transaction() as conn:
        conn.execute(
            "INSERT INTO sync_state (profile, walk_cursor) VALUES (?, ?)", (ws.profile.name, "msgbatch_01gone")
        )
    report = ws.syncer().sync()
    assert report.ok and cache_view(ws) == emulator_view(emulator)
