"""List paging exactly as the SDK's auto-pagination expects (spec §3)."""

from __future__ import annotations

import anthropic
import httpx2
import pytest

from batchdeck.emulator import DEFAULT_WORKSPACE, Emulator, Rates
from batchdeck.emulator.sources import SyntheticSource, SyntheticSpec
from tests.conftest import API_KEY, request

HEADERS = {"x-api-key": API_KEY, "anthropic-version": "2023-06-01"}


def seed(emulator: Emulator, n: int) -> list[str]:
    """n one-request batches, one simulated second apart; returns their ids newest first."""
    now = emulator.clock.now()
    ids = [
        emulator.store.new_batch(
            SyntheticSource(SyntheticSpec(f"p{i}", 1)), DEFAULT_WORKSPACE, Rates(), created_at=now - 86400 + i
        ).id
        for i in range(n)
    ]
    return ids[::-1]


@pytest.mark.parametrize(
    ("count", "limit"), [(n, 1000) for n in (0, 1, 1000, 1001, 5000)] + [(n, 7) for n in (0, 1, 1000, 1001)]
)
def test_auto_pagination_visits_every_batch_once(
    client: anthropic.Anthropic, emulator: Emulator, count: int, limit: int
) -> None:
    expected = seed(emulator, count)
    emulator.stats.reset()
    seen = [b.id for b in client.messages.batches.list(limit=limit)]
    assert seen == expected  # newest first, each exactly once
    assert emulator.stats.calls("list") == max(1, -(-count // limit))


def test_default_limit_is_20(client: anthropic.Anthropic, emulator: Emulator) -> None:
    seed(emulator, 30)
    page = client.messages.batches.list()
    assert len(page.data) == 20 and page.has_more is True


def test_page_fields(emulator: Emulator) -> None:
    ids = seed(emulator, 5)
    url = f"{emulator.base_url}/v1/messages/batches"
    first = httpx2.get(url, params={"limit": 2}, headers=HEADERS).json()
    assert [b["id"] for b in first["data"]] == ids[:2]
    assert (first["first_id"], first["last_id"], first["has_more"]) == (ids[0], ids[1], True)
    last = httpx2.get(url, params={"limit": 2, "after_id": ids[3]}, headers=HEADERS).json()
    assert [b["id"] for b in last["data"]] == ids[4:] and last["has_more"] is False
    empty = httpx2.get(url, params={"after_id": ids[4]}, headers=HEADERS).json()
    assert empty == {"data": [], "has_more": False, "first_id": None, "last_id": None}


def test_before_id_walks_towards_newer_batches(client: anthropic.Anthropic, emulator: Emulator) -> None:
    ids = seed(emulator, 10)
    page = client.messages.batches.list(limit=3, before_id=ids[9])
    assert [b.id for b in page.data] == ids[6:9]  # newest first within the page
    walked = [b.id for b in client.messages.batches.list(limit=3, before_id=ids[9])]
    assert sorted(walked) == sorted(ids[:9]) and len(walked) == 9


def test_batches_created_mid_walk_do_not_shift_pages(client: anthropic.Anthropic, emulator: Emulator) -> None:
    ids = seed(emulator, 50)
    seen = []
    for i, batch in enumerate(client.messages.batches.list(limit=10)):
        seen.append(batch.id)
        if i % 10 == 5:
            client.messages.batches.create(requests=[request(f"new{i}")])
    assert seen == ids


def test_deleted_cursor_keeps_its_place(client: anthropic.Anthropic, emulator: Emulator) -> None:
    ids = seed(emulator, 6)
    emulator.advance(2 * 86400)
    client.messages.batches.delete(ids[2])
    page = client.messages.batches.list(limit=2, after_id=ids[2])
    assert [b.id for b in page.data] == ids[3:5]
    assert [b.id for b in client.messages.batches.list(limit=2)] == [i for i in ids if i != ids[2]]


def test_cursor_errors(emulator: Emulator) -> None:
    ids = seed(emulator, 3)
    url = f"{emulator.base_url}/v1/messages/batches"
    both = httpx2.get(url, params={"after_id": ids[0], "before_id": ids[2]}, headers=HEADERS)
    assert both.status_code == 400
    assert both.json()["error"]["message"] == "Only one of before_id and after_id may be given."
    unknown = httpx2.get(url, params={"after_id": "msgbatch_01nope"}, headers=HEADERS)
    assert unknown.status_code == 400
    assert unknown.json()["error"]["message"] == "after_id: no Message Batch with id msgbatch_01nope"
