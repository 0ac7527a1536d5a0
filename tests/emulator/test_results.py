"""Result lines: every outcome type, deferred params errors, message shape, format and order."""

from __future__ import annotations

import json
from typing import Any

import anthropic
import httpx2
import pytest

from batchdeck.emulator import Emulator
from tests.conftest import API_KEY, request

DAY = 86400.0
HEADERS = {"x-api-key": API_KEY, "anthropic-version": "2023-06-01"}


def run_batch(client: anthropic.Anthropic, emulator: Emulator, requests: list[dict]) -> dict[str, Any]:
    batch = client.messages.batches.create(requests=requests)
    emulator.advance(DAY)
    return {r.custom_id: r.result for r in client.messages.batches.results(batch.id)}


PARAM_ERRORS = [
    ({"model": "claude-does-not-exist-9"}, "not_found_error", "model: claude-does-not-exist-9"),
    ({"max_tokens": 0}, "invalid_request_error", "max_tokens: must be greater than or equal to 1"),
    (
        {"max_tokens": 9999999},
        "invalid_request_error",
        "max_tokens: 9999999 > 64000, which is the maximum allowed number of output tokens for claude-haiku-4-5-20251001",
    ),
    ({"stream": True}, "invalid_request_error", '"stream=True" is not supported in the Message Batches API'),
    ({"frobnicate": 1}, "invalid_request_error", "frobnicate: Extra inputs are not permitted"),
    ({"temperature": 0.2}, "invalid_request_error", "temperature: Extra inputs are not permitted"),
    ({"messages": []}, "invalid_request_error", "messages: List should have at least 1 item after validation, not 0"),
    ({"speed": "fast"}, "invalid_request_error", "speed: fast mode is not supported in the Message Batches API"),
]


@pytest.mark.parametrize(("override", "error_type", "message"), PARAM_ERRORS)
def test_params_errors_surface_as_errored_rows(
    client: anthropic.Anthropic, emulator: Emulator, override: dict, error_type: str, message: str
) -> None:
    results = run_batch(client, emulator, [request("bad", **override), request("good")])
    assert results["good"].type == "succeeded"
    bad = results["bad"]
    assert bad.type == "errored"
    assert bad.error.type == "error" and bad.error.request_id is None
    assert (bad.error.error.type, bad.error.error.message) == (error_type, message)


@pytest.mark.parametrize("missing", ["model", "messages", "max_tokens"])
def test_missing_required_params(client: anthropic.Anthropic, emulator: Emulator, missing: str) -> None:
    req = request("x")
    del req["params"][missing]
    result = run_batch(client, emulator, [req])["x"]
    assert result.error.error.message == f"{missing}: Field required"


def test_sampling_knobs_are_fine_with_older_api_versions(emulator: Emulator) -> None:
    client = anthropic.Anthropic(
        base_url=emulator.base_url, api_key="k", default_headers={"anthropic-version": "2023-06-01"}
    )
    assert run_batch(client, emulator, [request("t", temperature=0.5)])["t"].type == "succeeded"


def test_every_outcome_type_decodes(client: anthropic.Anthropic, emulator: Emulator) -> None:
    emulator.set_rates(error_rate=0.25, expire_rate=0.1)
    batch = client.messages.batches.create(
        requests=[request(f"r{i}") for i in range(300)] + [request("bad", model="x")]
    )
    emulator.advance(3600)
    client.messages.batches.cancel(batch.id)  # unfinished rows, and those that would expire, end canceled
    emulator.advance(DAY)
    types = {r.result.type for r in client.messages.batches.results(batch.id)}
    errors = {
        r.result.error.error.type for r in client.messages.batches.results(batch.id) if r.result.type == "errored"
    }
    assert types == {"succeeded", "errored", "canceled"}
    assert errors == {"overloaded_error", "api_error", "not_found_error"}
    expiring = client.messages.batches.create(requests=[request(f"e{i}") for i in range(100)])
    emulator.advance(DAY)
    assert {r.result.type for r in client.messages.batches.results(expiring.id)} >= {"expired", "succeeded", "errored"}


def test_transient_errors_carry_a_worker_request_id(client: anthropic.Anthropic, emulator: Emulator) -> None:
    emulator.set_rates(error_rate=1.0)
    result = run_batch(client, emulator, [request("t")])["t"]
    assert result.error.error.type in ("overloaded_error", "api_error")
    assert result.error.request_id.startswith("workerreq_")


def test_succeeded_message_shape(client: anthropic.Anthropic, emulator: Emulator) -> None:
    message = run_batch(client, emulator, [request("m", "Translate: the cat sleeps")])["m"].message
    assert message.id.startswith("msg_") and message.type == "message" and message.role == "assistant"
    assert message.model == "claude-haiku-4-5-20251001"  # alias resolved
    assert message.stop_reason == "end_turn"
    assert message.content[0].type == "text" and "Translate: the cat sleeps" in message.content[0].text
    usage = message.usage
    assert usage.service_tier == "batch" and usage.input_tokens > 0 and usage.output_tokens > 0
    assert usage.cache_creation_input_tokens == 0 and usage.cache_read_input_tokens == 0
    assert usage.cache_creation is not None and usage.cache_creation.ephemeral_5m_input_tokens == 0


def test_tiny_max_tokens_stops_at_max_tokens(client: anthropic.Anthropic, emulator: Emulator) -> None:
    message = run_batch(client, emulator, [request("m", max_tokens=3)])["m"].message
    assert message.stop_reason == "max_tokens" and message.usage.output_tokens == 3


def test_tools_thinking_and_cache(client: anthropic.Anthropic, emulator: Emulator) -> None:
    tool = {"name": "lookup_order", "description": "Find an order", "input_schema": {"type": "object"}}
    cached_system = [{"type": "text", "text": "You are terse. " * 200, "cache_control": {"type": "ephemeral"}}]
    results = run_batch(
        client,
        emulator,
        [
            request("tools", max_tokens=1024, tools=[tool]),
            request("think", max_tokens=4000, thinking={"type": "enabled", "budget_tokens": 2000}),
        ]
        + [request(f"cache{i}", system=cached_system) for i in range(10)],
    )
    tool_message = results["tools"].message
    assert tool_message.stop_reason == "tool_use"
    assert tool_message.content[-1].type == "tool_use" and tool_message.content[-1].name == "lookup_order"
    assert isinstance(tool_message.content[-1].input, dict)
    assert results["think"].message.content[0].type == "thinking"
    cache_usage = [results[f"cache{i}"].message.usage for i in range(10)]
    assert any(u.cache_read_input_tokens for u in cache_usage)


def test_outcomes_are_deterministic_per_seed_and_custom_id() -> None:
    def outcomes(seed: int) -> dict[str, str]:
        with Emulator(speed=0, seed=seed) as emu:
            emu.set_rates(error_rate=0.3)
            client = anthropic.Anthropic(base_url=emu.base_url, api_key="k")
            return {k: v.type for k, v in run_batch(client, emu, [request(f"r{i}") for i in range(100)]).items()}

    first, again, other = outcomes(1), outcomes(1), outcomes(2)
    assert first == again
    assert first != other


def test_jsonl_format_and_order(client: anthropic.Anthropic, emulator: Emulator) -> None:
    ids = [f"r{i:03d}" for i in range(500)]
    batch = client.messages.batches.create(requests=[request(i) for i in ids])
    emulator.advance(DAY)
    response = httpx2.get(f"{emulator.base_url}/v1/messages/batches/{batch.id}/results", headers=HEADERS)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/x-jsonl"
    assert response.headers["content-disposition"] == f"attachment; filename*=utf-8''{batch.id}_results.jsonl"
    body = response.content
    assert body.endswith(b"\n") and b"\r" not in body and b"\n\n" not in body
    lines = body.split(b"\n")[:-1]
    got = [json.loads(line)["custom_id"] for line in lines]
    assert sorted(got) == ids  # one line per request
    assert got != ids  # and not simply in submission order


def test_non_ascii_prompt_round_trips(client: anthropic.Anthropic, emulator: Emulator) -> None:
    message = run_batch(client, emulator, [request("u", "Résumé du café — 東京")])["u"].message
    assert "Résumé du café — 東京" in message.content[0].text
