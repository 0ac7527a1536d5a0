"""Batch lifecycle on the virtual clock: processing, cancel, expiry, archival, delete."""

from __future__ import annotations

from datetime import timedelta

import anthropic
import httpx2
import pytest

from batchdeck.emulator import Emulator, Rates
from tests.conftest import API_KEY, request

DAY = 86400.0


def counts(batch: object) -> dict[str, int]:
    return batch.request_counts.model_dump()  # type: ignore[attr-defined]


def test_counts_stay_processing_until_the_whole_batch_ends(client: anthropic.Anthropic, emulator: Emulator) -> None:
    emulator.set_rates(error_rate=0.3)
    batch = client.messages.batches.create(requests=[request(f"r{i}") for i in range(200)])
    duration = emulator.store.get(batch.id, batch_workspace(emulator)).duration
    emulator.advance(duration * 0.99)
    almost = client.messages.batches.retrieve(batch.id)
    assert almost.processing_status == "in_progress" and counts(almost)["processing"] == 200
    emulator.advance(duration * 0.02)
    ended = client.messages.batches.retrieve(batch.id)
    assert ended.processing_status == "ended"
    final = counts(ended)
    assert final["processing"] == 0 and sum(final.values()) == 200
    assert final["errored"] > 20 and final["succeeded"] > 100
    assert ended.ended_at is not None and ended.ended_at > ended.created_at
    assert (ended.ended_at - ended.created_at).total_seconds() == pytest.approx(duration, abs=1e-3)


def batch_workspace(emulator: Emulator) -> str:
    return emulator.store.all_batches()[-1].workspace


def test_processing_time_grows_with_size(client: anthropic.Anthropic, emulator: Emulator) -> None:
    small = client.messages.batches.create(requests=[request("a")])
    big = client.messages.batches.create(requests=[request(f"r{i}") for i in range(20_000)])
    ws = batch_workspace(emulator)
    assert emulator.store.get(big.id, ws).duration > 2 * emulator.store.get(small.id, ws).duration
    assert emulator.store.get(big.id, ws).duration < DAY


def test_cancel_then_end_with_canceled_rows(client: anthropic.Anthropic, emulator: Emulator) -> None:
    batch = client.messages.batches.create(requests=[request(f"r{i}") for i in range(400)])
    duration = emulator.store.get(batch.id, batch_workspace(emulator)).duration
    emulator.advance(duration * 0.4)
    canceling = client.messages.batches.cancel(batch.id)
    assert canceling.processing_status == "canceling"
    assert counts(canceling)["processing"] == 400
    assert client.messages.batches.cancel(batch.id) == canceling  # canceling again: unchanged
    emulator.advance(emulator.config.cancel_latency)
    ended = client.messages.batches.retrieve(batch.id)
    final = counts(ended)
    assert ended.processing_status == "ended" and ended.cancel_initiated_at == canceling.cancel_initiated_at
    assert final["canceled"] > 0 and final["succeeded"] > 0 and sum(final.values()) == 400
    kinds = [r.result.type for r in client.messages.batches.results(batch.id)]
    assert kinds.count("canceled") == final["canceled"] and kinds.count("succeeded") == final["succeeded"]
    assert client.messages.batches.cancel(batch.id) == ended  # cancel on ended: 200, unchanged


def test_cancel_before_anything_ran_cancels_every_row() -> None:
    with Emulator(speed=0, cancel_latency=0.0) as emu:
        client = anthropic.Anthropic(base_url=emu.base_url, api_key="k")
        batch = client.messages.batches.create(requests=[request(f"r{i}") for i in range(50)])
        ended = client.messages.batches.cancel(batch.id)  # nothing had run, and stopping is instant
        assert ended.processing_status == "ended"
        assert counts(ended) == {"processing": 0, "succeeded": 0, "errored": 0, "canceled": 50, "expired": 0}
        assert {r.result.type for r in client.messages.batches.results(batch.id)} == {"canceled"}


def test_rows_unprocessed_at_24h_expire(client: anthropic.Anthropic, emulator: Emulator) -> None:
    emulator.set_rates(expire_rate=0.2)
    batch = client.messages.batches.create(requests=[request(f"r{i}") for i in range(100)])
    emulator.advance(DAY - 1)
    assert client.messages.batches.retrieve(batch.id).processing_status == "in_progress"
    emulator.advance(1)
    ended = client.messages.batches.retrieve(batch.id)
    assert ended.processing_status == "ended" and ended.ended_at == ended.expires_at
    final = counts(ended)
    assert 5 <= final["expired"] <= 40 and final["expired"] + final["succeeded"] == 100
    expired = [r for r in client.messages.batches.results(batch.id) if r.result.type == "expired"]
    assert len(expired) == final["expired"]


def test_results_404_until_ended(client: anthropic.Anthropic, emulator: Emulator) -> None:
    batch = client.messages.batches.create(requests=[request("a")])
    with pytest.raises(anthropic.AnthropicError, match="No `results_url` for the given batch"):
        client.messages.batches.results(batch.id)
    raw = httpx2.get(
        f"{emulator.base_url}/v1/messages/batches/{batch.id}/results",
        headers={"x-api-key": API_KEY, "anthropic-version": "2023-06-01"},
    )
    assert raw.status_code == 404
    assert raw.json()["error"]["message"] == f"Message Batch {batch.id} has no available results."


def test_results_archived_29_days_after_creation(client: anthropic.Anthropic, emulator: Emulator) -> None:
    batch = client.messages.batches.create(requests=[request("a")])
    emulator.advance(29 * DAY - 60)
    assert client.messages.batches.retrieve(batch.id).archived_at is None
    assert len(list(client.messages.batches.results(batch.id))) == 1
    emulator.advance(60)
    archived = client.messages.batches.retrieve(batch.id)
    assert archived.archived_at == archived.created_at + timedelta(days=29)
    assert archived.results_url is not None  # stays set; the download itself is refused
    with pytest.raises(anthropic.NotFoundError):
        client.messages.batches.results(batch.id)


def test_speed_factor_runs_the_clock(emulator: Emulator) -> None:
    fast = Emulator(speed=3600, start_time=emulator.clock.now())
    before = fast.clock.now()
    import time

    time.sleep(0.05)
    assert fast.clock.now() - before >= 150  # 0.05 s real at 3600x is 3 simulated minutes


def test_rates_are_fixed_per_batch_at_creation(client: anthropic.Anthropic, emulator: Emulator) -> None:
    emulator.set_rates(error_rate=1.0)
    failing = client.messages.batches.create(requests=[request(f"r{i}") for i in range(20)])
    emulator.set_rates(error_rate=0.0)
    clean = client.messages.batches.create(requests=[request(f"r{i}") for i in range(20)])
    emulator.advance(DAY)
    assert counts(client.messages.batches.retrieve(failing.id))["errored"] == 20
    assert counts(client.messages.batches.retrieve(clean.id))["succeeded"] == 20
    assert emulator.api.rates == Rates(0.0, 0.0)
