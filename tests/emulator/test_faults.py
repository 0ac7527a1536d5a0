"""Injected faults: the real SDK's retries get through 429/500/529 and dropped connections."""

from __future__ import annotations

import anthropic
import httpx2
import pytest

from batchdeck.emulator import Emulator, FaultConfig, parse_fault_spec
from tests.conftest import API_KEY, request

HEADERS = {"x-api-key": API_KEY, "anthropic-version": "2023-06-01"}


@pytest.mark.parametrize(("kind", "status"), [("429", 429), ("500", 500), ("529", 529)])
def test_sdk_retries_through_injected_errors(
    client: anthropic.Anthropic, emulator: Emulator, kind: str, status: int
) -> None:
    batch = client.messages.batches.create(requests=[request("a")])
    emulator.faults.queue(kind, count=2, endpoint="retrieve")
    assert client.messages.batches.retrieve(batch.id).id == batch.id
    assert emulator.stats.status_count("retrieve", status) == 2
    assert emulator.stats.status_count("retrieve", 200) == 1


@pytest.mark.parametrize(
    ("kind", "exception"),
    [("429", anthropic.RateLimitError), ("500", anthropic.InternalServerError), ("529", anthropic.OverloadedError)],
)
def test_errors_beyond_the_retry_budget_raise_the_right_class(
    emulator: Emulator, kind: str, exception: type[Exception]
) -> None:
    client = anthropic.Anthropic(base_url=emulator.base_url, api_key="k", max_retries=1)
    emulator.faults.queue(kind, count=2)
    with pytest.raises(exception):
        client.messages.batches.list()


def test_injected_error_headers(emulator: Emulator) -> None:
    emulator.faults.queue("429")
    response = httpx2.get(f"{emulator.base_url}/v1/messages/batches", headers=HEADERS)
    assert response.status_code == 429
    assert response.headers["retry-after"] == "0.01" and response.headers["x-should-retry"] == "true"
    assert response.json()["error"]["type"] == "rate_limit_error"
    assert response.json()["request_id"] == response.headers["request-id"]


def test_dropped_connection_is_retried(client: anthropic.Anthropic, emulator: Emulator) -> None:
    emulator.faults.queue("drop", endpoint="create")
    batch = client.messages.batches.create(requests=[request("a")])
    assert [b.id for b in client.messages.batches.list()] == [batch.id]  # dropped before work: one batch


def test_drop_after_work_duplicates_a_retried_create(client: anthropic.Anthropic, emulator: Emulator) -> None:
    """The real API has no idempotency key: an answer lost after the work means a duplicate batch."""
    emulator.faults.queue("drop_after", endpoint="create")
    client.messages.batches.create(requests=[request("a")])
    assert len(list(client.messages.batches.list())) == 2


def test_cut_results_stream_raises_in_the_sdk(client: anthropic.Anthropic, emulator: Emulator) -> None:
    batch = client.messages.batches.create(requests=[request(f"r{i}") for i in range(50)])
    emulator.advance(86400)
    emulator.faults.queue("cut")
    with pytest.raises((httpx2.HTTPError, anthropic.APIConnectionError, ValueError)):
        list(client.messages.batches.results(batch.id))
    assert len(list(client.messages.batches.results(batch.id))) == 50  # the next download is whole


def test_cut_happens_mid_line(emulator: Emulator, client: anthropic.Anthropic) -> None:
    emulator.faults.set(cut_after_bytes=5000)
    batch = client.messages.batches.create(requests=[request(f"r{i}") for i in range(200)])
    emulator.advance(86400)
    emulator.faults.queue("cut")
    received = bytearray()
    with (
        pytest.raises(httpx2.HTTPError),
        httpx2.stream(
            "GET", f"{emulator.base_url}/v1/messages/batches/{batch.id}/results", headers=HEADERS
        ) as response,
    ):
        for chunk in response.iter_bytes():
            received.extend(chunk)
    assert len(received) > 0 and not received.endswith(b"\n")


def test_slow_responses_still_answer(emulator: Emulator, client: anthropic.Anthropic) -> None:
    emulator.faults.set(slow_seconds=0.2)
    emulator.faults.queue("slow")
    assert list(client.messages.batches.list()) == []


def test_rate_based_faults_with_sdk_retries_converge(emulator: Emulator) -> None:
    emulator.faults.configure(
        FaultConfig(rate_429=0.1, rate_500=0.05, rate_529=0.05, rate_drop=0.05, retry_after=0.001, seed=7)
    )
    client = anthropic.Anthropic(base_url=emulator.base_url, api_key="k", max_retries=8)
    created = [client.messages.batches.create(requests=[request(f"r{i}")]).id for i in range(30)]
    listed = [b.id for b in client.messages.batches.list(limit=4)]
    assert sorted(listed) == sorted(set(created)) and len(listed) == 30
    failures = sum(emulator.stats.status_count(e, s) for e in ("create", "list") for s in (0, 429, 500, 529))
    assert failures > 0


def test_fault_spec_parsing() -> None:
    config = parse_fault_spec("429=0.1, 529=0.05,drop=0.02,slow_seconds=0.5,seed=3")
    assert (config.rate_429, config.rate_529, config.rate_drop, config.slow_seconds, config.seed) == (
        0.1,
        0.05,
        0.02,
        0.5,
        3,
    )
    for bad, words in (
        ("oops=1", "unknown fault 'oops'"),
        ("429=x", "needs a number"),
        ("500=2", "between 0 and 1"),
        ("429", "unknown fault"),
    ):
        with pytest.raises(ValueError, match=words):
            parse_fault_spec(bad)


def test_control_paths_are_never_faulted(emulator: Emulator) -> None:
    emulator.faults.configure(FaultConfig(rate_500=1.0))
    response = httpx2.get(f"{emulator.base_url}/_emulator/state")
    assert response.status_code == 200
