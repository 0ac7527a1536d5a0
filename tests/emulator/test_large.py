"""A batch at the API's limit: 100,000 requests created and their results streamed."""

from __future__ import annotations

import json

import anthropic
import httpx2
import pytest

from batchdeck.emulator import Emulator
from tests.conftest import API_KEY, request
from tests.emulator_process import EmulatorProcess

pytestmark = pytest.mark.slow  # 100,000 requests and 130 MB of results


def test_100k_request_batch_round_trip(emulator: Emulator, client: anthropic.Anthropic) -> None:
    requests = [request(f"row-{i:06d}", f"Classify ticket {i}", max_tokens=16) for i in range(100_000)]
    emulator.set_rates(error_rate=0.01)
    batch = client.messages.batches.create(requests=requests, timeout=120)
    assert batch.request_counts.processing == 100_000
    del requests
    emulator.advance(86400)
    ended = client.messages.batches.retrieve(batch.id)
    assert ended.processing_status == "ended"
    seen: set[str] = set()
    outcomes = {"succeeded": 0, "errored": 0}
    # The SDK's own streaming response, parsed line by line (its JSONL decoder is checked on smaller batches).
    with client.messages.batches.with_streaming_response.results(batch.id) as response:
        for line in response.iter_lines():
            row = json.loads(line)
            seen.add(row["custom_id"])
            outcomes[row["result"]["type"]] += 1
    assert len(seen) == 100_000
    assert outcomes == {"succeeded": ended.request_counts.succeeded, "errored": ended.request_counts.errored}
    assert 500 < outcomes["errored"] < 1500


def test_results_stream_in_bounded_memory() -> None:
    """The emulator's peak RSS barely moves while it streams 100k generated results (~130 MB)."""
    with EmulatorProcess("--scenario", "demo") as emu:
        headers = {"x-api-key": API_KEY, "anthropic-version": "2023-06-01"}
        # A fresh demo counts the rows of its ended batches on the first list: seconds on a busy machine.
        listing = httpx2.get(f"{emu.base_url}/v1/messages/batches", params={"limit": 100}, headers=headers, timeout=60)
        page = listing.json()
        big = max(page["data"], key=lambda b: sum(b["request_counts"].values()))
        assert sum(big["request_counts"].values()) == 100_000 and big["results_url"]
        before = emu.peak_rss()
        size = 0
        with httpx2.stream("GET", big["results_url"], headers=headers, timeout=60) as response:
            for chunk in response.iter_raw(1 << 16):
                size += len(chunk)
        growth = emu.peak_rss() - before
        assert size > 50_000_000  # about 1 KB a row, like real results
        assert growth < 25_000_000, f"peak RSS grew by {growth / 1e6:.1f} MB while streaming"
