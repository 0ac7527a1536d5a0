"""The emulator answers as the model and the API would (issue 14): one test per row of the issue's table.

Every batch here goes through the real SDK; every result line is validated strictly against
the SDK's types (tests/emulator/strict.py) before anything else is asserted.
"""

from __future__ import annotations

import json
from datetime import UTC
from typing import Any

import anthropic
import pytest

from batchdeck.emulator import Emulator
from tests.conftest import API_KEY, START, request
from tests.emulator.strict import check, strict_line

DAY = 86400.0
PERSON = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
    "required": ["name", "age"],
    "additionalProperties": False,
}
SEARCH = {"type": "object", "properties": {"query": {"type": "string"}}, "required": ["query"]}


def results(client: anthropic.Anthropic, emulator: Emulator, requests: list[dict], **create: Any) -> dict[str, Any]:
    """Run a batch to its end; {custom_id: result} after strict validation of every raw line."""
    batch = client.messages.batches.create(requests=requests, **create)
    emulator.advance(DAY)
    raw = client.messages.batches.with_raw_response.results(batch.id)
    lines = [json.loads(line) for line in raw.http_response.read().splitlines()]
    assert len(lines) == len(requests)
    return {line["custom_id"]: strict_line(line).result for line in lines}


def old_version_client(emulator: Emulator) -> anthropic.Anthropic:
    """A client on API version 2023-06-01, which still has the sampling knobs (spec §4)."""
    return anthropic.Anthropic(
        base_url=emulator.base_url, api_key=API_KEY, default_headers={"anthropic-version": "2023-06-01"}
    )


def error_of(result: Any) -> tuple[str, str]:
    assert result.type == "errored", result
    return result.error.error.type, result.error.error.message


# -- structured replies --------------------------------------------------------------------------


def test_forced_tool_input_fits_its_input_schema(client: anthropic.Anthropic, emulator: Emulator) -> None:
    tools = [{"name": "record_person", "description": "Record a person", "input_schema": PERSON}]
    rows = [
        request(
            f"r{i}",
            f"Extract the person: Ada Lovelace, {20 + i}",
            tools=tools,
            tool_choice={"type": "tool", "name": "record_person"},
        )
        for i in range(20)
    ]
    for result in results(client, emulator, rows).values():
        assert result.type == "succeeded"
        message = result.message
        assert message.stop_reason == "tool_use"
        assert [b.type for b in message.content] == ["tool_use"]  # forced: no prose before the call
        call = message.content[0]
        assert call.name == "record_person"
        check(call.input, PERSON)
        assert set(call.input) == {"name", "age"}


def test_named_tool_choice_calls_that_tool_not_the_first(client: anthropic.Anthropic, emulator: Emulator) -> None:
    tools = [{"name": "first_tool", "input_schema": SEARCH}, {"name": "second_tool", "input_schema": PERSON}]
    result = results(client, emulator, [request("n", tools=tools, tool_choice={"type": "tool", "name": "second_tool"})])
    calls = [b for b in result["n"].message.content if b.type == "tool_use"]
    assert [c.name for c in calls] == ["second_tool"]
    check(calls[0].input, PERSON)


def test_tool_choice_any_calls_one_of_the_tools(client: anthropic.Anthropic, emulator: Emulator) -> None:
    tools = [{"name": "first_tool", "input_schema": SEARCH}, {"name": "second_tool", "input_schema": PERSON}]
    rows = [request(f"a{i}", tools=tools, tool_choice={"type": "any"}) for i in range(30)]
    names = set()
    for result in results(client, emulator, rows).values():
        (call,) = result.message.content
        check(call.input, SEARCH if call.name == "first_tool" else PERSON)
        names.add(call.name)
    assert names == {"first_tool", "second_tool"}


def test_tool_choice_none_answers_with_text_only(client: anthropic.Anthropic, emulator: Emulator) -> None:
    tools = [{"name": "first_tool", "input_schema": SEARCH}]
    rows = [request(f"t{i}", tools=tools, tool_choice={"type": "none"}) for i in range(10)]
    for result in results(client, emulator, rows).values():
        assert {b.type for b in result.message.content} == {"text"}
        assert result.message.stop_reason in ("end_turn", "max_tokens")


def test_auto_tool_choice_still_calls_the_first_tool_with_fitting_input(
    client: anthropic.Anthropic, emulator: Emulator
) -> None:
    tools = [{"name": "record_person", "input_schema": PERSON}]
    message = results(client, emulator, [request("auto", tools=tools, max_tokens=2000)])["auto"].message
    assert [b.type for b in message.content] == ["text", "tool_use"]
    check(message.content[1].input, PERSON)


def test_output_config_json_schema_text_is_json_that_fits(client: anthropic.Anthropic, emulator: Emulator) -> None:
    fmt = {"type": "json_schema", "schema": PERSON}
    rows = [request(f"j{i}", "Who wrote the first program?", output_config={"format": fmt}) for i in range(20)]
    for result in results(client, emulator, rows).values():
        (block,) = result.message.content
        check(json.loads(block.text), PERSON)


def test_structured_values_depend_on_seed_custom_id_and_attempt(
    client: anthropic.Anthropic, emulator: Emulator
) -> None:
    schema = {
        "type": "object",
        "properties": {"n": {"type": "integer"}, "id": {"type": "string", "format": "uuid"}},
        "required": ["n", "id"],
        "additionalProperties": False,
    }
    fmt = {"type": "json_schema", "schema": schema}
    rows = [request(f"s{i}", output_config={"format": fmt}) for i in range(5)]
    first = {k: r.message.content[0].text for k, r in results(client, emulator, rows).items()}
    again = {k: r.message.content[0].text for k, r in results(client, emulator, rows).items()}  # attempt 1
    assert len(set(first.values())) == 5  # rows differ from each other
    assert first != again  # a resubmission is a new attempt, drawn afresh
    with (
        Emulator(speed=0, start_time=emulator.clock.now()) as other,
        anthropic.Anthropic(base_url=other.base_url, api_key=API_KEY) as c,
    ):
        replay = {k: r.message.content[0].text for k, r in results(c, other, rows).items()}
    assert replay == first  # same seed, custom_id and attempt: the same values


def test_classification_prompt_answers_with_one_of_its_labels(client: anthropic.Anthropic, emulator: Emulator) -> None:
    prompts = {
        "c1": (
            "Classify this ticket as one of: billing, shipping, refund.\n\nTicket: parcel late",
            {"billing", "shipping", "refund"},
        ),
        "c2": (
            "Label the issue as billing, bug, feature or other. Issue: app crashes on start",
            {"billing", "bug", "feature", "other"},
        ),
    }
    rows = [request(f"{cid}-{i}", text) for cid, (text, _) in prompts.items() for i in range(12)]
    seen: dict[str, set[str]] = {cid: set() for cid in prompts}
    for custom_id, result in results(client, emulator, rows).items():
        cid = custom_id.split("-")[0]
        (block,) = result.message.content
        assert block.text in prompts[cid][1]
        seen[cid].add(block.text)
    assert all(len(labels) > 1 for labels in seen.values())  # the parsing code sees more than one branch


# -- model rules ---------------------------------------------------------------------------------


def test_opus_4_7_refuses_temperature(emulator: Emulator) -> None:
    client = old_version_client(emulator)
    rows = [
        request("t", model="claude-opus-4-7", temperature=0.2),
        request("ok", model="claude-sonnet-4-6", temperature=0.2),
    ]
    got = results(client, emulator, rows)
    assert error_of(got["t"]) == ("invalid_request_error", "`temperature` is deprecated for this model.")
    assert got["ok"].type == "succeeded"


def test_opus_4_7_refuses_budgeted_thinking_and_prefill(client: anthropic.Anthropic, emulator: Emulator) -> None:
    prefill = [{"role": "user", "content": "Give JSON"}, {"role": "assistant", "content": "{"}]
    rows = [
        request(
            "budget", model="claude-opus-4-7", max_tokens=4000, thinking={"type": "enabled", "budget_tokens": 2000}
        ),
        request("prefill", model="claude-opus-4-7", messages=prefill),
        request("adaptive", model="claude-opus-4-7", thinking={"type": "adaptive"}),
        request("old-prefill", model="claude-haiku-4-5", messages=prefill),
    ]
    got = results(client, emulator, rows)
    assert error_of(got["budget"]) == (
        "invalid_request_error",
        '"thinking.type.enabled" is not supported for this model. Use '
        '"thinking.type.adaptive" and "output_config.effort" to control thinking '
        "behavior.",
    )
    assert error_of(got["prefill"]) == (
        "invalid_request_error",
        "This model does not support assistant message prefill. The conversation must end with a user message.",
    )
    assert got["adaptive"].type == "succeeded"
    assert got["adaptive"].message.content[0].type == "thinking"
    assert got["old-prefill"].type == "succeeded"


def test_thinking_budget_must_be_below_max_tokens(client: anthropic.Anthropic, emulator: Emulator) -> None:
    rows = [
        request("eq", model="claude-sonnet-4-6", max_tokens=2048, thinking={"type": "enabled", "budget_tokens": 2048}),
        request("lt", model="claude-sonnet-4-6", max_tokens=4096, thinking={"type": "enabled", "budget_tokens": 2048}),
    ]
    got = results(client, emulator, rows)
    kind, message = error_of(got["eq"])
    assert kind == "invalid_request_error"
    assert message.startswith("`max_tokens` must be greater than `thinking.budget_tokens`.")
    assert got["lt"].type == "succeeded"


def test_user_profile_id_is_accepted(client: anthropic.Anthropic, emulator: Emulator) -> None:
    got = results(client, emulator, [request("p", user_profile_id="uprof_01abc")])
    assert got["p"].type == "succeeded"


def test_output_300k_beta_lifts_max_tokens_on_sonnet_4_6_in_batches(
    client: anthropic.Anthropic, emulator: Emulator
) -> None:
    rows = [
        request("big", model="claude-sonnet-4-6", max_tokens=300_000),
        request("haiku", model="claude-haiku-4-5", max_tokens=300_000),
    ]
    with_beta = results(client, emulator, rows, extra_headers={"anthropic-beta": "output-300k-2026-03-24"})
    assert with_beta["big"].type == "succeeded"
    assert error_of(with_beta["haiku"])[1].startswith("max_tokens: 300000 > 64000")
    without = results(client, emulator, rows)
    assert error_of(without["big"]) == (
        "invalid_request_error",
        "max_tokens: 300000 > 64000, which is the maximum allowed number of output tokens for claude-sonnet-4-6",
    )


@pytest.mark.parametrize("model", ["claude-opus-4-20250514", "claude-opus-4-0", "claude-opus-4-1"])
def test_models_retired_before_today_are_not_found(client: anthropic.Anthropic, emulator: Emulator, model: str) -> None:
    got = results(client, emulator, [request("old", model=model), request("new", model="claude-opus-4-8")])
    assert error_of(got["old"]) == ("not_found_error", f"model: {model}")
    assert got["new"].type == "succeeded"


def test_a_retirement_follows_the_emulated_clock() -> None:
    """Before its retirement date a model still answers; the date is read on the emulator's clock."""
    from datetime import datetime

    before = datetime(2026, 8, 4, 12, tzinfo=UTC).timestamp()
    with Emulator(speed=0, start_time=before) as emu, anthropic.Anthropic(base_url=emu.base_url, api_key=API_KEY) as c:
        got = results(c, emu, [request("x", model="claude-opus-4-1")])
        assert got["x"].type == "succeeded"
        got = results(c, emu, [request("y", model="claude-opus-4-1")])  # created a day later: 2026-08-05
        assert error_of(got["y"])[0] == "not_found_error"


def test_forced_tool_choice_with_thinking_or_unknown_tool_is_refused(
    client: anthropic.Anthropic, emulator: Emulator
) -> None:
    tools = [{"name": "first_tool", "input_schema": SEARCH}]
    rows = [
        request(
            "think", model="claude-sonnet-4-6", tools=tools, tool_choice={"type": "any"}, thinking={"type": "adaptive"}
        ),
        request("unknown", tools=tools, tool_choice={"type": "tool", "name": "nope"}),
    ]
    got = results(client, emulator, rows)
    assert error_of(got["think"])[0] == "invalid_request_error"
    assert error_of(got["unknown"]) == ("invalid_request_error", "tool_choice: Tool 'nope' not found in tools")


def test_thinking_keeps_the_sampling_knobs_at_their_defaults(emulator: Emulator) -> None:
    client = old_version_client(emulator)
    thinking = {"type": "enabled", "budget_tokens": 1024}
    rows = [
        request("hot", model="claude-sonnet-4-6", max_tokens=2048, thinking=thinking, temperature=0.3),
        request("one", model="claude-sonnet-4-6", max_tokens=2048, thinking=thinking, temperature=1),
        request("k", model="claude-sonnet-4-5", max_tokens=2048, thinking=thinking, top_k=5),
    ]
    got = results(client, emulator, rows)
    assert error_of(got["hot"])[1].startswith("`temperature` may only be set to 1 when thinking is enabled.")
    assert got["one"].type == "succeeded"
    assert error_of(got["k"])[0] == "invalid_request_error"


def test_beta_client_betas_lift_max_tokens_too(client: anthropic.Anthropic, emulator: Emulator) -> None:
    batch = client.beta.messages.batches.create(
        requests=[request("big", model="claude-opus-4-7", max_tokens=300_000)], betas=["output-300k-2026-03-24"]
    )
    emulator.advance(DAY)
    (row,) = list(client.beta.messages.batches.results(batch.id))
    assert row.result.type == "succeeded"


def test_structured_replies_survive_a_restart_with_a_state_directory(tmp_path: Any) -> None:
    tools = [{"name": "record_person", "input_schema": PERSON}]
    rows = [request(f"r{i}", tools=tools, tool_choice={"type": "tool", "name": "record_person"}) for i in range(5)]
    with (
        Emulator(speed=0, start_time=START, state_dir=tmp_path) as emu,
        anthropic.Anthropic(base_url=emu.base_url, api_key=API_KEY) as c,
    ):
        batch = c.messages.batches.create(requests=rows)
    with Emulator(speed=0, state_dir=tmp_path) as emu, anthropic.Anthropic(base_url=emu.base_url, api_key=API_KEY) as c:
        emu.advance(DAY)
        for row in c.messages.batches.results(batch.id):
            (call,) = row.result.message.content
            assert call.name == "record_person"
            check(call.input, PERSON)
