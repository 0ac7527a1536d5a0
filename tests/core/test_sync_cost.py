"""What an incremental sync pays for live batches older than the newest list page: more list pages
when that takes fewer requests than one retrieve each, retrieves otherwise; the same answers either way."""

from __future__ import annotations

import anthropic

from batchdeck.core.workspace import Workspace
from batchdeck.emulator import Emulator, Rates
from tests.core.conftest import cache_view, emulator_view, seed

HOUR = 3600.0
DAY = 86400.0
LIVE = Rates(expire_rate=1.0)  # no row ever runs: the batch stays in progress until it expires at 24 h


def history(emulator: Emulator, *layers: tuple[int, bool]) -> list[list[str]]:
    """Batches in layers, oldest layer first, each (count, live); an hour later the others have ended.
    Returns each layer's ids, newest first."""
    ids = [seed(emulator, count, rates=LIVE if live else None) for count, live in layers]
    emulator.advance(HOUR)
    return ids


def requests(emulator: Emulator) -> tuple[int, int]:
    return emulator.stats.calls("list"), emulator.stats.calls("retrieve")


def statuses(ws: Workspace, ids: list[str]) -> set[str]:
    found = [ws.batches.get(i) for i in ids]
    return {b.processing_status if b and not b.deleted_at else "missing" for b in found}


def test_1100_live_batches_unchanged_cost_two_requests(ws: Workspace, emulator: Emulator) -> None:
    (live,) = history(emulator, (1100, True))
    ws.syncer().sync()
    emulator.stats.reset()
    report = ws.syncer().sync()
    assert report.ok and report.requests == emulator.stats.calls() == 2
    assert requests(emulator) == (2, 0)  # was 1 list page and 100 retrieves
    assert statuses(ws, live) == {"in_progress"}
    assert cache_view(ws) == emulator_view(emulator)


def test_old_live_batches_that_ended_are_seen_ended_through_the_list(ws: Workspace, emulator: Emulator) -> None:
    old_live, _ = history(emulator, (100, True), (1000, False))
    ws.syncer().sync()
    assert statuses(ws, old_live) == {"in_progress"}
    emulator.advance(DAY)
    emulator.stats.reset()
    report = ws.syncer().sync()
    assert report.ok and report.refreshed >= 100 and requests(emulator) == (2, 0)
    assert statuses(ws, old_live) == {"ended"}
    assert cache_view(ws) == emulator_view(emulator)


def test_old_batch_deleted_remotely_is_marked_deleted_on_the_list_path(
    ws: Workspace, emulator: Emulator, client: anthropic.Anthropic
) -> None:
    old_live, _ = history(emulator, (100, True), (1000, False))
    ws.syncer().sync()
    emulator.advance(DAY)  # they end, so one can be deleted
    client.messages.batches.delete(old_live[40])
    emulator.stats.reset()
    report = ws.syncer().sync()
    assert report.ok and report.deleted == 1
    assert requests(emulator) == (2, 1)  # the retrieve confirms the batch missing from the page's range
    assert emulator.stats.status_count("retrieve", 404) == 1
    assert ws.batches.get(old_live[40]).deleted_at is not None  # type: ignore[union-attr]
    assert cache_view(ws) == emulator_view(emulator)


def test_few_live_batches_far_down_are_retrieved(ws: Workspace, emulator: Emulator) -> None:
    far, _ = history(emulator, (2, True), (3000, False))  # 3 pages to reach them: 2 retrieves are cheaper
    ws.syncer().sync()
    emulator.advance(DAY)
    emulator.stats.reset()
    assert ws.syncer().sync().ok
    assert requests(emulator) == (1, 2)
    assert statuses(ws, far) == {"ended"}
    assert cache_view(ws) == emulator_view(emulator)


def test_pages_while_cheaper_then_retrieves_for_the_rest(ws: Workspace, emulator: Emulator) -> None:
    far, _, near, _ = history(emulator, (2, True), (3000, False), (100, True), (1000, False))
    ws.syncer().sync()
    emulator.advance(DAY)
    emulator.stats.reset()
    assert ws.syncer().sync().ok
    # One page past the newest covers the 100; the two left are 3 pages further: retrieved instead.
    assert requests(emulator) == (2, 2)
    assert statuses(ws, far + near) == {"ended"}
    assert cache_view(ws) == emulator_view(emulator)


def test_a_list_page_failing_below_the_head_stops_the_sync_and_the_next_one_finishes(
    ws: Workspace, emulator: Emulator
) -> None:
    old_live, _ = history(emulator, (100, True), (1000, False))
    ws.syncer().sync()
    head_before = ws.batches.sync_state().head_id
    emulator.advance(DAY)
    emulator.faults.set(retry_after=0.001)
    calls = []
    original = ws.api.list_page

    def second_page_fails(*args: object, **kwargs: object) -> object:
        calls.append(kwargs.get("after_id"))
        if len(calls) == 2:
            emulator.faults.queue("500", count=3, endpoint="list")  # every attempt of the page below the head
        return original(*args, **kwargs)  # type: ignore[arg-type]

    ws.api.list_page = second_page_fails  # type: ignore[method-assign]
    broken = ws.syncer().sync()
    ws.api.list_page = original  # type: ignore[method-assign]
    assert not broken.ok and broken.error_kind == "server" and calls[1] is not None
    assert statuses(ws, old_live) == {"in_progress"} and ws.batches.sync_state().head_id == head_before
    emulator.stats.reset()
    assert ws.syncer().sync().ok
    assert requests(emulator) == (2, 0)
    assert statuses(ws, old_live) == {"ended"}
    assert cache_view(ws) == emulator_view(emulator)
