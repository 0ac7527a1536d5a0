"""The async SDK client against the emulator: the same behaviour over the async transport."""

from __future__ import annotations

import anthropic
import pytest

from batchdeck.emulator import DEFAULT_WORKSPACE, Emulator, Rates
from batchdeck.emulator.sources import SyntheticSource, SyntheticSpec
from tests.conftest import request

pytestmark = pytest.mark.anyio


async def test_async_full_flow(emulator: Emulator) -> None:
    async with anthropic.AsyncAnthropic(base_url=emulator.base_url, api_key="k") as client:
        batch = await client.messages.batches.create(requests=[request("a"), request("b", model="nope")])
        assert (await client.messages.batches.retrieve(batch.id)).processing_status == "in_progress"
        emulator.advance(86400)
        results = {r.custom_id: r.result async for r in await client.messages.batches.results(batch.id)}
        assert results["a"].type == "succeeded" and results["b"].type == "errored"
        await client.messages.batches.delete(batch.id)
        with pytest.raises(anthropic.NotFoundError):
            await client.messages.batches.retrieve(batch.id)


async def test_async_auto_pagination(emulator: Emulator) -> None:
    for i in range(1001):
        emulator.store.new_batch(SyntheticSource(SyntheticSpec(f"p{i}", 1)), DEFAULT_WORKSPACE, Rates())
    async with anthropic.AsyncAnthropic(base_url=emulator.base_url, api_key="k") as client:
        ids = [b.id async for b in client.messages.batches.list(limit=1000)]
    assert len(ids) == len(set(ids)) == 1001


async def test_async_retries_through_overload(emulator: Emulator) -> None:
    emulator.faults.queue("529", count=2)
    async with anthropic.AsyncAnthropic(base_url=emulator.base_url, api_key="k", max_retries=2) as client:
        page = await client.messages.batches.list()
    assert page.data == [] and emulator.stats.status_count("list", 529) == 2
