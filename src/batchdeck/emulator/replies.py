"""Result lines: one `{"custom_id", "result"}` JSON object per request, as the API streams them."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from batchdeck.emulator.ids import derived_id
from batchdeck.emulator.outcomes import Fate, draws
from batchdeck.emulator.plans import FEATURE_CACHE, FEATURE_THINKING, FEATURE_TOOLS, RequestPlan
from batchdeck.emulator.schema_values import generate

_FILLER = (
    "The request was read in full and answered in the emulator's own words. "
    "Each reply grows with the tokens it reports, so exports, previews and costs behave "
    "as they would with a real model, while nothing leaves this machine and nothing is billed. "
    "Categories, summaries, translations and grades all come back in this same plain register, "
    "which keeps the results easy to tell apart from real output when both sit side by side. "
) * 40
_LABELS = ("billing", "bug", "feature", "other", "positive", "negative", "neutral", "4/5", "2/5", "5/5")


def _dumps(obj: dict[str, Any]) -> bytes:
    return (json.dumps(obj, separators=(",", ":"), ensure_ascii=False) + "\n").encode()


def _reply_text(plan: RequestPlan, output_tokens: int, u: float) -> str:
    label = _LABELS[int(u * len(_LABELS))]
    head = f"{label}: {plan.prompt[:60]}" if plan.prompt else label
    wanted = output_tokens * 4
    if len(head) + 3 >= wanted:
        return head[:wanted]
    start = int(u * 997)
    return head + " - " + _FILLER[start : start + wanted - len(head) - 3]


def _usage(plan: RequestPlan, output_tokens: int, u: float) -> dict[str, Any]:
    cache_write = cache_read = 0
    input_tokens = plan.input_tokens
    if plan.features & FEATURE_CACHE:
        cached = int(input_tokens * 0.8)
        input_tokens -= cached
        if u < 0.15:
            cache_write = cached
        else:
            cache_read = cached
    return {
        "input_tokens": input_tokens,
        "cache_creation_input_tokens": cache_write,
        "cache_read_input_tokens": cache_read,
        "cache_creation": {"ephemeral_5m_input_tokens": cache_write, "ephemeral_1h_input_tokens": 0},
        "output_tokens": output_tokens,
        "server_tool_use": None,
        "service_tier": "batch",
        "inference_geo": "not_available",
    }


@lru_cache(maxsize=64)
def _parsed(schema_json: str) -> Any:
    """A plan's interned schema JSON, parsed once per distinct schema (never mutated)."""
    return json.loads(schema_json)


def _seed_of(plan: RequestPlan, seed: int) -> str:
    """The (seed, custom_id, attempt) key every structured value of a reply is drawn from."""
    return f"{seed}:{plan.custom_id}:{plan.attempt}"


def _tool_call(plan: RequestPlan, seed: int, u: float) -> dict[str, Any]:
    """A `tool_use` block for the plan's tool (or, for `any`, one drawn), its input fitting the schema."""
    if plan.tools:
        tools = _parsed(plan.tools)
        name, schema = tools[int(u * len(tools)) % len(tools)]
        tool_input = generate(schema, _seed_of(plan, seed), plan.prompt)
        if not isinstance(tool_input, dict):
            tool_input = {}
    else:  # synthetic scenario rows carry no schema
        name, tool_input = plan.tool_name, {"query": plan.prompt[:40], "limit": 5}
    return {"type": "tool_use", "id": derived_id("toolu_", seed, plan.custom_id), "name": name, "input": tool_input}


def _tokens_for(text: str) -> int:
    return max(1, len(text) // 4 + 1)


Blocks = tuple[list[dict[str, Any]], int, str]  # (content blocks, output tokens, stop_reason)


def _text_blocks(plan: RequestPlan, seed: int, u_len: float, u_pick: float) -> Blocks:
    """The reply's prose, JSON (`output_config.format`) or closed-set label."""
    if plan.output_schema:
        text = json.dumps(generate(_parsed(plan.output_schema), _seed_of(plan, seed), plan.prompt), ensure_ascii=False)
    elif plan.labels:
        labels = plan.labels.split("|")
        text = labels[int(u_pick * len(labels)) % len(labels)]
    else:
        natural = 12 + int(u_len * 340)
        tokens = min(natural, plan.max_tokens)
        stop = "max_tokens" if natural > plan.max_tokens else "end_turn"
        return [{"type": "text", "text": _reply_text(plan, tokens, u_pick)}], tokens, stop
    needed = _tokens_for(text)
    if needed > plan.max_tokens:
        return [{"type": "text", "text": text[: plan.max_tokens * 4]}], plan.max_tokens, "max_tokens"
    return [{"type": "text", "text": text}], needed, "end_turn"


def _forced_call(plan: RequestPlan, seed: int, u_tool: float) -> Blocks:
    """`any`/`tool`: the API prefills the turn, so the reply is the tool call alone (if it fits)."""
    call = _tool_call(plan, seed, u_tool)
    tokens = _tokens_for(json.dumps(call["input"])) + 8
    if tokens > plan.max_tokens:
        return [], plan.max_tokens, "max_tokens"
    return [call], tokens, "tool_use"


def _content(plan: RequestPlan, seed: int) -> tuple[list[dict[str, Any]], int, str, float]:
    """(content, output tokens, stop_reason, draw for usage) of a succeeded row."""
    u_len, u_tool, u_pick = draws(seed + 1, plan.custom_id if plan.attempt <= 0 else f"{plan.custom_id}#{plan.attempt}")
    content: list[dict[str, Any]] = []
    if plan.features & FEATURE_THINKING:
        content.append(
            {
                "type": "thinking",
                "thinking": f"The user asks: {plan.prompt[:80]}. Answer briefly.",
                "signature": derived_id("sig_", seed, plan.custom_id, length=40),
            }
        )
    if plan.tool_choice in ("any", "tool"):
        blocks, tokens, stop = _forced_call(plan, seed, u_tool)
    else:
        blocks, tokens, stop = _text_blocks(plan, seed, u_len, u_pick)
        if plan.features & FEATURE_TOOLS and plan.tool_choice != "none" and stop == "end_turn":
            blocks, stop = [*blocks, _tool_call(plan, seed, u_tool)], "tool_use"
    return content + blocks, tokens, stop, u_pick


def succeeded_message(plan: RequestPlan, batch_id: str, seed: int) -> dict[str, Any]:
    """A plausible Message for a row: text derived from the prompt (or JSON, a label, a tool call), usage."""
    content, output_tokens, stop_reason, u_pick = _content(plan, seed)
    return {
        "id": derived_id("msg_", seed, batch_id, plan.custom_id),
        "type": "message",
        "role": "assistant",
        "model": plan.model,
        "content": content,
        "stop_reason": stop_reason,
        "stop_sequence": None,
        "usage": _usage(plan, output_tokens, u_pick),
        "container": None,
        "stop_details": None,
        "diagnostics": None,
    }


def error_result(fate: Fate, seed: int, custom_id: str) -> dict[str, Any]:
    """The nested ErrorResponse of an errored row (request_id null for validation failures)."""
    error: dict[str, Any] = {"type": fate.error_type, "message": fate.error_message}
    if fate.validation:
        error = {"details": {"error_visibility": "user_facing"}, **error}
    return {
        "type": "errored",
        "error": {
            "type": "error",
            "error": error,
            "request_id": None if fate.validation else derived_id("workerreq_", seed, custom_id),
        },
    }


def result_line(plan: RequestPlan, fate: Fate, outcome: str, batch_id: str, seed: int) -> bytes:
    if outcome == "succeeded":
        result: dict[str, Any] = {"type": "succeeded", "message": succeeded_message(plan, batch_id, seed)}
    elif outcome == "errored":
        result = error_result(fate, seed, plan.custom_id)
    else:
        result = {"type": outcome}
    return _dumps({"custom_id": plan.custom_id, "result": result})
