"""What the emulator keeps of each request: a compact plan, validated when the batch is created.

The real API checks `params` only when a request runs and reports problems as `errored`
result rows, so `plan_request` never raises: it records the error the row will carry.
Only a short prompt excerpt is kept, so a 100,000-request batch stays small in memory.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from batchdeck.emulator.catalog import resolve

# Versions from this date on dropped the sampling knobs (spec §4).
SAMPLING_REMOVED_IN = "2026-10-21"
SAMPLING_FIELDS = ("temperature", "top_p", "top_k")
ALLOWED_PARAMS = frozenset(
    {
        "model", "messages", "max_tokens", "system", "metadata", "stop_sequences", "stream",
        "tools", "tool_choice", "thinking", "service_tier", "container", "diagnostics",
        "inference_geo", "output_config", "cache_control", "speed", "mcp_servers",
        "context_management", *SAMPLING_FIELDS,
    }
)
PROMPT_EXCERPT = 160

FEATURE_TOOLS = 1
FEATURE_THINKING = 2
FEATURE_CACHE = 4


@dataclass(frozen=True, slots=True)
class RequestPlan:
    """One request as the emulator needs it to produce its result line."""

    custom_id: str
    model: str  # resolved id when valid, else what the request named
    max_tokens: int
    input_tokens: int
    prompt: str
    features: int = 0
    tool_name: str = ""
    error_type: str | None = None  # deferred validation failure, if any
    error_message: str | None = None
    attempt: int = 0  # earlier client batches of the workspace that held this custom_id (see outcomes)

    def to_row(self) -> list[Any]:
        return [self.custom_id, self.model, self.max_tokens, self.input_tokens, self.prompt,
                self.features, self.tool_name, self.error_type, self.error_message, self.attempt]

    @classmethod
    def from_row(cls, row: list[Any]) -> RequestPlan:
        return cls(*row)


def _prompt_text(params: dict[str, Any]) -> str:
    """The last user text of the conversation, for the emulated reply to echo."""
    messages = params.get("messages")
    if not isinstance(messages, list):
        return ""
    for message in reversed(messages):
        if not isinstance(message, dict) or message.get("role") != "user":
            continue
        content = message.get("content")
        if isinstance(content, str):
            return content[:PROMPT_EXCERPT]
        if isinstance(content, list):
            texts = [b.get("text", "") for b in content if isinstance(b, dict) and b.get("type") == "text"]
            return " ".join(t for t in texts if isinstance(t, str))[:PROMPT_EXCERPT]
    return ""


def _params_error(params: dict[str, Any], api_version: str) -> tuple[str, str] | None:
    """The (error type, message) a real request with these params would fail with, or None."""
    for key in params:
        if key not in ALLOWED_PARAMS:
            return "invalid_request_error", f"{key}: Extra inputs are not permitted"
    if api_version >= SAMPLING_REMOVED_IN:
        for key in SAMPLING_FIELDS:
            if key in params:
                return "invalid_request_error", f"{key}: Extra inputs are not permitted"
    if params.get("stream") is True:
        return "invalid_request_error", '"stream=True" is not supported in the Message Batches API'
    if params.get("speed") == "fast":
        return "invalid_request_error", "speed: fast mode is not supported in the Message Batches API"
    for key in ("model", "messages", "max_tokens"):
        if key not in params:
            return "invalid_request_error", f"{key}: Field required"
    model, max_tokens, messages = params["model"], params["max_tokens"], params["messages"]
    if not isinstance(model, str):
        return "invalid_request_error", "model: Input should be a valid string"
    if not isinstance(max_tokens, int) or isinstance(max_tokens, bool):
        return "invalid_request_error", "max_tokens: Input should be a valid integer"
    if max_tokens < 1:
        return "invalid_request_error", "max_tokens: must be greater than or equal to 1"
    if not isinstance(messages, list):
        return "invalid_request_error", "messages: Input should be a valid list"
    if not messages:
        return "invalid_request_error", "messages: List should have at least 1 item after validation, not 0"
    for i, message in enumerate(messages):
        if not isinstance(message, dict) or message.get("role") not in ("user", "assistant"):
            return "invalid_request_error", f"messages.{i}.role: Input should be 'user' or 'assistant'"
        if "content" not in message:
            return "invalid_request_error", f"messages.{i}.content: Field required"
    info = resolve(model)
    if info is None:
        return "not_found_error", f"model: {model}"
    if max_tokens > info.max_output_tokens:
        return "invalid_request_error", (
            f"max_tokens: {max_tokens} > {info.max_output_tokens}, which is the maximum allowed "
            f"number of output tokens for {info.id}"
        )
    return None


def _features(params: dict[str, Any], prompt_json: str) -> tuple[int, str]:
    features, tool_name = 0, ""
    tools = params.get("tools")
    if isinstance(tools, list) and tools and isinstance(tools[0], dict):
        features |= FEATURE_TOOLS
        tool_name = str(tools[0].get("name", "tool"))
    thinking = params.get("thinking")
    if isinstance(thinking, dict) and thinking.get("type") in ("enabled", "adaptive"):
        features |= FEATURE_THINKING
    if "cache_control" in params or '"cache_control"' in prompt_json:
        features |= FEATURE_CACHE
    return features, tool_name


def _prompt_json(params: dict[str, Any]) -> str:
    """System, messages and tools serialised once: sized for tokens, searched for cache_control."""
    return json.dumps([params.get(k, "") for k in ("system", "messages", "tools")], ensure_ascii=False)


def estimate_input_tokens(prompt_json: str) -> int:
    """Roughly four characters a token, as a tokenizer would count them."""
    return max(1, len(prompt_json) // 4 + 8)


def plan_request(custom_id: str, params: dict[str, Any], api_version: str) -> RequestPlan:
    """Build the compact plan of one request whose envelope already passed create-time checks."""
    error = _params_error(params, api_version)
    model = params.get("model")
    info = resolve(model) if isinstance(model, str) else None
    max_tokens = params.get("max_tokens")
    prompt_json = _prompt_json(params)
    features, tool_name = _features(params, prompt_json)
    return RequestPlan(
        custom_id=custom_id,
        model=info.id if info else str(model),
        max_tokens=max_tokens if isinstance(max_tokens, int) and not isinstance(max_tokens, bool) else 0,
        input_tokens=estimate_input_tokens(prompt_json),
        prompt=_prompt_text(params),
        features=features,
        tool_name=tool_name,
        error_type=error[0] if error else None,
        error_message=error[1] if error else None,
    )
