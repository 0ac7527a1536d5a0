"""Every endpoint through the real SDK over real HTTP, and the exact shape of what it returns."""

from __future__ import annotations

import re
from datetime import timedelta

import anthropic
import httpx2
import pytest

from batchdeck.emulator import Emulator
from tests.conftest import API_KEY, START, request

BATCH_KEYS = {
    "id",
    "type",
    "processing_status",
    "request_counts",
    "ended_at",
    "created_at",
    "expires_at",
    "archived_at",
    "cancel_initiated_at",
    "results_url",
}
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
HEADERS = {"x-api-key": API_KEY, "anthropic-version": "2023-06-01"}


def test_create_returns_a_fresh_in_progress_batch(client: anthropic.Anthropic) -> None:
    batch = client.messages.batches.create(requests=[request("a"), request("b"), request("c")])
    assert batch.id.startswith("msgbatch_") and len(batch.id) == len("msgbatch_") + 24
    assert batch.type == "message_batch"
    assert batch.processing_status == "in_progress"
    assert batch.request_counts.model_dump() == {
        "processing": 3,
        "succeeded": 0,
        "errored": 0,
        "canceled": 0,
        "expired": 0,
    }
    assert batch.created_at.timestamp() == pytest.approx(START)
    assert batch.expires_at - batch.created_at == timedelta(hours=24)
    assert batch.ended_at is None and batch.results_url is None and batch.cancel_initiated_at is None


def test_raw_batch_object_has_every_key_with_explicit_nulls(emulator: Emulator) -> None:
    body = {"requests": [request("only")]}
    response = httpx2.post(f"{emulator.base_url}/v1/messages/batches", json=body, headers=HEADERS)
    assert response.status_code == 200  # not 201
    data = response.json()
    assert set(data) == BATCH_KEYS
    assert data["ended_at"] is None and data["archived_at"] is None and data["results_url"] is None
    assert RFC3339.match(data["created_at"]) and RFC3339.match(data["expires_at"])
    assert response.headers["request-id"].startswith("req_")
    assert response.headers["content-type"] == "application/json"


def test_retrieve_returns_the_same_batch(client: anthropic.Anthropic) -> None:
    created = client.messages.batches.create(requests=[request("a")])
    fetched = client.messages.batches.retrieve(created.id)
    assert fetched == created
    assert fetched._request_id is not None and fetched._request_id.startswith("req_")


def test_cancel_moves_to_canceling_with_timestamp(client: anthropic.Anthropic) -> None:
    created = client.messages.batches.create(requests=[request("a")])
    canceled = client.messages.batches.cancel(created.id)
    assert canceled.processing_status == "canceling"
    assert canceled.cancel_initiated_at is not None
    assert canceled.request_counts.processing == 1


def test_delete_after_end_then_404(client: anthropic.Anthropic, emulator: Emulator) -> None:
    created = client.messages.batches.create(requests=[request("a")])
    emulator.advance(25 * 3600)
    deleted = client.messages.batches.delete(created.id)
    assert deleted.id == created.id and deleted.type == "message_batch_deleted"
    with pytest.raises(anthropic.NotFoundError):
        client.messages.batches.retrieve(created.id)
    assert [b.id for b in client.messages.batches.list()] == []


def test_results_of_an_ended_batch(client: anthropic.Anthropic, emulator: Emulator) -> None:
    created = client.messages.batches.create(requests=[request(f"r{i}") for i in range(5)])
    emulator.advance(25 * 3600)
    ended = client.messages.batches.retrieve(created.id)
    assert ended.results_url == f"{emulator.base_url}/v1/messages/batches/{created.id}/results"
    rows = list(client.messages.batches.results(created.id))
    assert sorted(r.custom_id for r in rows) == [f"r{i}" for i in range(5)]
    assert all(r.result.type == "succeeded" for r in rows)


def test_results_url_follows_the_host_the_client_dialled(emulator: Emulator) -> None:
    """results_url must point back at the emulator as the client reached it (spec §6)."""
    port = emulator.base_url.rsplit(":", 1)[1]
    created = httpx2.post(
        f"http://localhost:{port}/v1/messages/batches", json={"requests": [request("a")]}, headers=HEADERS
    ).json()
    emulator.advance(25 * 3600)
    fetched = httpx2.get(f"http://localhost:{port}/v1/messages/batches/{created['id']}", headers=HEADERS).json()
    assert fetched["results_url"] == f"http://localhost:{port}/v1/messages/batches/{created['id']}/results"


def test_public_url_overrides_results_url_base() -> None:
    with Emulator(speed=0, public_url="https://batches.example.test/") as emu:
        client = anthropic.Anthropic(base_url=emu.base_url, api_key="k")
        batch = client.messages.batches.create(requests=[request("a")])
        emu.advance(25 * 3600)
        url = client.messages.batches.retrieve(batch.id).results_url
        assert url == f"https://batches.example.test/v1/messages/batches/{batch.id}/results"


def test_beta_namespace_and_query_flag(client: anthropic.Anthropic, emulator: Emulator) -> None:
    beta = client.beta.messages.batches.create(requests=[request("a")])
    assert beta.processing_status == "in_progress"
    raw = httpx2.get(
        f"{emulator.base_url}/v1/messages/batches/{beta.id}?beta=true",
        headers={**HEADERS, "anthropic-beta": "message-batches-2024-09-24"},
    )
    assert raw.status_code == 200 and raw.json()["id"] == beta.id
    assert [b.id for b in client.beta.messages.batches.list()] == [beta.id]


def test_base_url_prefix_is_allowed(emulator: Emulator) -> None:
    client = anthropic.Anthropic(base_url=f"{emulator.base_url}/proxy/anthropic", api_key="k")
    batch = client.messages.batches.create(requests=[request("a")])
    assert client.messages.batches.retrieve(batch.id).id == batch.id


def test_both_auth_styles_are_accepted(emulator: Emulator) -> None:
    url = f"{emulator.base_url}/v1/messages/batches"
    bearer = httpx2.get(url, headers={"authorization": f"Bearer {API_KEY}", "anthropic-version": "2026-10-21"})
    api_key = httpx2.get(url, headers=HEADERS)
    assert bearer.status_code == api_key.status_code == 200
    old_style = anthropic.Anthropic(base_url=emulator.base_url, auth_token="tok")  # Bearer
    assert list(old_style.messages.batches.list()) == []


def test_empty_cancel_and_delete_bodies_with_json_content_type(emulator: Emulator) -> None:
    url = f"{emulator.base_url}/v1/messages/batches"
    created = httpx2.post(url, json={"requests": [request("a")]}, headers=HEADERS).json()
    headers = {**HEADERS, "content-type": "application/json"}
    assert httpx2.post(f"{url}/{created['id']}/cancel", headers=headers).status_code == 200
    emulator.advance(3600)
    assert httpx2.request("DELETE", f"{url}/{created['id']}", headers=headers).status_code == 200


def test_workspace_scoping(emulator: Emulator) -> None:
    a = anthropic.Anthropic(
        base_url=emulator.base_url, api_key="k", default_headers={"anthropic-workspace-id": "wrkspc_a"}
    )
    b = anthropic.Anthropic(
        base_url=emulator.base_url, api_key="k", default_headers={"anthropic-workspace-id": "wrkspc_b"}
    )
    batch = a.messages.batches.create(requests=[request("a")])
    assert [x.id for x in a.messages.batches.list()] == [batch.id]
    assert list(b.messages.batches.list()) == []
    with pytest.raises(anthropic.NotFoundError):
        b.messages.batches.retrieve(batch.id)


def test_stats_count_calls_per_endpoint(client: anthropic.Anthropic, emulator: Emulator) -> None:
    batch = client.messages.batches.create(requests=[request("a")])
    client.messages.batches.retrieve(batch.id)
    client.messages.batches.retrieve(batch.id)
    list(client.messages.batches.list())
    assert (emulator.stats.calls("create"), emulator.stats.calls("retrieve"), emulator.stats.calls("list")) == (1, 2, 1)
    emulator.stats.reset()
    assert emulator.stats.calls() == 0
