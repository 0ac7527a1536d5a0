"""Every error the emulator answers, checked through the SDK's exception classes and raw HTTP."""

from __future__ import annotations

import json

import anthropic
import httpx2
import pytest

from batchdeck.emulator import Emulator
from tests.conftest import API_KEY, request

HEADERS = {"x-api-key": API_KEY, "anthropic-version": "2023-06-01"}


def _bad_create(client: anthropic.Anthropic, requests: list) -> anthropic.BadRequestError:
    with pytest.raises(anthropic.BadRequestError) as info:
        client.messages.batches.create(requests=requests)
    assert info.value.status_code == 400
    assert info.value.body["error"]["type"] == "invalid_request_error"  # type: ignore[index]
    return info.value


@pytest.mark.parametrize(
    ("requests", "message"),
    [
        (
            [request("dup"), request("dup")],
            "requests: custom_id's must be unique within a batch. Duplicate custom_id found: dup",
        ),
        ([{"params": request("x")["params"]}], "requests.0.custom_id: Field required"),
        ([request("a"), request("x" * 65)], "requests.1.custom_id: String should have at most 64 characters"),
        ([request("has space")], "requests.0.custom_id: String should match pattern '^[a-zA-Z0-9_-]{1,64}$'"),
        ([request("dot.id")], "requests.0.custom_id: String should match pattern '^[a-zA-Z0-9_-]{1,64}$'"),
        ([request("")], "requests.0.custom_id: String should have at least 1 character"),
        ([], "requests: List should have at least 1 item after validation, not 0"),
        ([{"custom_id": "a"}], "requests.0.params: Field required"),
        ([{"custom_id": "a", "params": [1]}], "requests.0.params: Input should be a valid dictionary"),
        ([{"custom_id": 7, "params": {}}], "requests.0.custom_id: Input should be a valid string"),
    ],
)
def test_create_validation_messages(client: anthropic.Anthropic, requests: list, message: str) -> None:
    error = _bad_create(client, requests)
    assert error.body["error"]["message"] == message  # type: ignore[index]
    assert list(client.messages.batches.list()) == []  # nothing was created


def test_custom_id_of_exactly_64_characters_is_accepted(client: anthropic.Anthropic) -> None:
    batch = client.messages.batches.create(requests=[request("A_-9" * 16)])
    assert batch.request_counts.processing == 1


@pytest.mark.slow
def test_more_than_100000_requests_is_rejected(client: anthropic.Anthropic) -> None:
    small = {"model": "m", "max_tokens": 1, "messages": []}
    requests = [{"custom_id": f"r{i}", "params": small} for i in range(100_001)]
    error = _bad_create(client, requests)
    assert error.body["error"]["message"] == (  # type: ignore[index]
        "requests: List should have at most 100000 items after validation, not 100001"
    )


def test_body_over_the_size_limit_is_413() -> None:
    with Emulator(speed=0, max_body_bytes=50_000) as emu:
        client = anthropic.Anthropic(base_url=emu.base_url, api_key="k", max_retries=0)
        with pytest.raises(anthropic.ContentTooLargeError) as info:
            client.messages.batches.create(requests=[request(f"r{i}", "x" * 1000) for i in range(60)])
        assert info.value.status_code == 413
        assert info.value.body["error"]["type"] == "request_too_large"  # type: ignore[index]
        assert emu.stats.status_count("create", 413) == 1
        assert list(client.messages.batches.list()) == []


def test_default_size_limit_is_256_mib(emulator: Emulator) -> None:
    assert emulator.config.max_body_bytes == 256 * 1024 * 1024


def test_malformed_json_body(emulator: Emulator) -> None:
    response = httpx2.post(
        f"{emulator.base_url}/v1/messages/batches",
        content=b'{"requests": [',
        headers={**HEADERS, "content-type": "application/json"},
    )
    assert response.status_code == 400
    body = response.json()
    assert body["type"] == "error" and body["error"]["type"] == "invalid_request_error"
    assert body["error"]["message"].startswith("The request body is not valid JSON: ")
    assert body["request_id"] == response.headers["request-id"]


def test_missing_key_is_401(emulator: Emulator) -> None:
    response = httpx2.get(f"{emulator.base_url}/v1/messages/batches", headers={"anthropic-version": "2023-06-01"})
    assert response.status_code == 401
    assert response.json()["error"] == {"type": "authentication_error", "message": "x-api-key header is required"}


def test_wrong_key_is_401_when_keys_are_configured() -> None:
    with Emulator(speed=0, api_keys={"good-key": ""}) as emu:
        with pytest.raises(anthropic.AuthenticationError) as info:
            anthropic.Anthropic(base_url=emu.base_url, api_key="bad-key", max_retries=0).messages.batches.list()
        assert info.value.body["error"]["message"] == "API key is invalid."  # type: ignore[index]
        assert "bad-key" not in json.dumps(info.value.body)
        good = anthropic.Anthropic(base_url=emu.base_url, api_key="good-key")
        assert list(good.messages.batches.list()) == []


def test_x_api_key_wins_over_bearer() -> None:
    with Emulator(speed=0, api_keys={"good": ""}) as emu:
        url = f"{emu.base_url}/v1/messages/batches"
        both = httpx2.get(url, headers={"x-api-key": "good", "authorization": "Bearer bad", "anthropic-version": "x"})
        assert both.status_code == 200


def test_missing_version_is_400(emulator: Emulator) -> None:
    response = httpx2.get(f"{emulator.base_url}/v1/messages/batches", headers={"x-api-key": "k"})
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "anthropic-version: header is required"


def test_unknown_batch_is_404(client: anthropic.Anthropic) -> None:
    missing = "msgbatch_01DoesNotExist0000000000"
    for call in (client.messages.batches.retrieve, client.messages.batches.cancel, client.messages.batches.delete):
        with pytest.raises(anthropic.NotFoundError) as info:
            call(missing)
        assert info.value.body["error"]["message"] == f"Message Batch {missing} not found."  # type: ignore[index]


def test_delete_in_progress_and_canceling_is_400(client: anthropic.Anthropic) -> None:
    batch = client.messages.batches.create(requests=[request("a")])
    message = "In progress batches cannot be deleted. Consider canceling the batch instead."
    assert _delete_error(client, batch.id) == message
    client.messages.batches.cancel(batch.id)
    assert _delete_error(client, batch.id) == message


def _delete_error(client: anthropic.Anthropic, batch_id: str) -> str:
    with pytest.raises(anthropic.BadRequestError) as info:
        client.messages.batches.delete(batch_id)
    return info.value.body["error"]["message"]  # type: ignore[index]


@pytest.mark.parametrize(
    ("limit", "message"),
    [
        ("0", "limit: Input should be greater than or equal to 1"),
        ("1001", "limit: Input should be less than or equal to 1000"),
        ("ten", "limit: Input should be a valid integer, unable to parse string as an integer"),
    ],
)
def test_bad_list_limit(emulator: Emulator, limit: str, message: str) -> None:
    response = httpx2.get(f"{emulator.base_url}/v1/messages/batches?limit={limit}", headers=HEADERS)
    assert response.status_code == 400 and response.json()["error"]["message"] == message


def test_unknown_path_is_404_envelope(emulator: Emulator) -> None:
    response = httpx2.get(f"{emulator.base_url}/v1/messages/batches/x/frobnicate", headers=HEADERS)
    assert response.status_code == 404 and response.json()["error"]["type"] == "not_found_error"
