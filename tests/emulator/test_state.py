"""Scenarios, the HTTP control surface, and the optional state directory."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import anthropic
import httpx2
import pytest

from batchdeck.emulator import Emulator
from tests.conftest import START, request

DAY = 86400.0


@pytest.mark.slow
def test_demo_scenario_has_every_state() -> None:
    with Emulator(speed=0, start_time=START, scenario="demo") as emu:
        client = anthropic.Anthropic(base_url=emu.base_url, api_key="k")
        batches = list(client.messages.batches.list(limit=1000))
        assert 50 <= len(batches) <= 70
        statuses = Counter(b.processing_status for b in batches)
        assert statuses["in_progress"] >= 3 and statuses["canceling"] >= 1 and statuses["ended"] >= 40
        ended = [b for b in batches if b.processing_status == "ended"]
        assert any(b.request_counts.errored and b.request_counts.succeeded for b in ended)
        assert any(b.request_counts.expired for b in ended)
        assert any(b.request_counts.canceled for b in ended)
        assert sum(1 for b in ended if b.archived_at is not None) >= 5
        assert any(sum(b.request_counts.model_dump().values()) == 100_000 for b in ended)
        ages = [(START - b.created_at.timestamp()) / DAY for b in batches]
        assert max(ages) <= 35 and min(ages) >= 0
        # Some live batches finish within minutes.
        emu.advance(11 * 60)
        soon = [client.messages.batches.retrieve(b.id) for b in batches if b.processing_status == "in_progress"]
        assert sum(b.processing_status == "ended" for b in soon) >= 3
        errors = {
            r.result.error.error.type
            for b in ended
            if b.archived_at is None
            and b.request_counts.errored
            and sum(b.request_counts.model_dump().values()) <= 1000
            for r in client.messages.batches.results(b.id)
            if r.result.type == "errored"
        }
        assert {"overloaded_error", "api_error", "not_found_error", "invalid_request_error"} <= errors


@pytest.mark.slow
def test_demo_is_the_same_every_time() -> None:
    def listing() -> list[tuple[str, str]]:
        with Emulator(speed=0, start_time=START, scenario="demo") as emu:
            client = anthropic.Anthropic(base_url=emu.base_url, api_key="k")
            return [(b.id, b.processing_status) for b in client.messages.batches.list(limit=1000)]

    assert listing() == listing()


def test_unknown_scenario_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="unknown scenario 'nope'; choose one of: empty, demo"):
        Emulator(scenario="nope")


def test_control_surface_over_http(emulator: Emulator, client: anthropic.Anthropic) -> None:
    url = f"{emulator.base_url}/_emulator"
    batch = client.messages.batches.create(requests=[request("a")])
    state = httpx2.get(f"{url}/state").json()
    assert state["batches"] == 1 and state["speed"] == 0 and state["stats"]["calls"] == {"create": 1}
    assert httpx2.post(f"{url}/clock", json={"advance": DAY}).status_code == 200
    assert client.messages.batches.retrieve(batch.id).processing_status == "ended"
    httpx2.post(f"{url}/faults", json={"queue": {"kind": "529", "count": 1}, "retry_after": 0.01})
    client.messages.batches.list()
    assert httpx2.get(f"{url}/stats").json()["statuses"]["list 529"] == 1
    httpx2.post(f"{url}/stats/reset")
    assert httpx2.get(f"{url}/stats").json()["calls"] == {}
    httpx2.post(f"{url}/rates", json={"error_rate": 0.5})
    assert emulator.api.rates.error_rate == 0.5
    httpx2.post(f"{url}/scenario", json={"name": "demo"})
    assert len(list(client.messages.batches.list(limit=1000))) > 50
    bad = httpx2.post(f"{url}/faults", json={"queue": {"kind": "teapot"}})
    assert bad.status_code == 400 and "unknown fault kind 'teapot'" in bad.json()["error"]["message"]
    assert httpx2.post(f"{url}/clock", json={"advance": -5}).status_code == 400
    assert httpx2.post(f"{url}/nothing").status_code == 404


def test_control_surface_needs_a_key_when_keys_are_configured() -> None:
    with Emulator(speed=0, api_keys={"secret": ""}) as emu:
        assert httpx2.get(f"{emu.base_url}/_emulator/state").status_code == 401
        ok = httpx2.get(f"{emu.base_url}/_emulator/state", headers={"x-api-key": "secret", "anthropic-version": "1"})
        assert ok.status_code == 200


def test_state_directory_survives_a_restart(tmp_path: Path) -> None:
    state = tmp_path / "state"
    with Emulator(speed=0, start_time=START, state_dir=state) as emu:
        client = anthropic.Anthropic(base_url=emu.base_url, api_key="k")
        kept = client.messages.batches.create(requests=[request(f"r{i}") for i in range(30)])
        canceled = client.messages.batches.create(requests=[request("c")])
        client.messages.batches.cancel(canceled.id)
        gone = client.messages.batches.create(requests=[request("g")])
        emu.advance(DAY)
        client.messages.batches.delete(gone.id)
        before = list(client.messages.batches.results(kept.id))
    with Emulator(speed=0, state_dir=state, scenario="demo") as emu:  # state wins over the scenario
        client = anthropic.Anthropic(base_url=emu.base_url, api_key="k")
        assert [b.id for b in client.messages.batches.list()] == [canceled.id, kept.id]
        assert client.messages.batches.retrieve(canceled.id).cancel_initiated_at is not None
        assert emu.clock.now() == pytest.approx(START + DAY)
        assert list(client.messages.batches.results(kept.id)) == before
        fresh = client.messages.batches.create(requests=[request("n")])
        assert fresh.id not in (kept.id, canceled.id, gone.id)


def test_unreadable_state_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "emulator.json").write_text("{not json")
    with pytest.raises(ValueError, match="is unreadable"):
        Emulator(state_dir=tmp_path)
