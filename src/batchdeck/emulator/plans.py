"""What the emulator keeps of each request: a compact plan, validated when the batch is created.

The real API checks `params` only when a request runs and reports problems as `errored`
result rows, so `plan_request` never raises: it records the error the row will carry.
Only a short prompt excerpt is kept, so a 100,000-request batch stays small in memory.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import sys
import time
from dataclasses import dataclass
from typing import Any

from batchdeck.emulator.catalog import DEFAULT_CATALOG, THINKING_TYPES, Catalog, ModelInfo
from batchdeck.emulator.labels import closed_labels

# Versions from this date on dropped the sampling knobs (spec §4).
SAMPLING_REMOVED_IN = "2026-10-21"
SAMPLING_FIELDS = ("temperature", "top_p", "top_k")
ALLOWED_PARAMS = frozenset(
    {
        "model", "messages", "max_tokens", "system", "metadata", "stop_sequences", "stream",
        "tools", "tool_choice", "thinking", "service_tier", "container", "diagnostics",
        "inference_geo", "output_config", "cache_control", "speed", "mcp_servers",
        "context_management", "user_profile_id", *SAMPLING_FIELDS,
    }
)
PROMPT_EXCERPT = 160
MIN_THINKING_BUDGET = 1024
TOOL_CHOICES = ("auto", "any", "tool", "none")

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
    tool_name: str = ""  # the tool a reply calls (`auto`, `tool`); empty for `any` (picked per reply)
    error_type: str | None = None  # deferred validation failure, if any
    error_message: str | None = None
    attempt: int = 0  # earlier client batches of the workspace that held this custom_id (see outcomes)
    tool_choice: str = ""  # auto | any | tool | none; "" = no tools given (or a synthetic row)
    tools: str = ""  # interned canonical JSON [[name, input_schema], ...] of the tools a reply may call
    output_schema: str = ""  # interned canonical JSON of `output_config.format.schema`, if any
    labels: str = ""  # interned "a|b|c": the closed label set a classification prompt names

    def to_row(self) -> list[Any]:
        return [self.custom_id, self.model, self.max_tokens, self.input_tokens, self.prompt,
                self.features, self.tool_name, self.error_type, self.error_message, self.attempt,
                self.tool_choice, self.tools, self.output_schema, self.labels]

    @classmethod
    def from_row(cls, row: list[Any]) -> RequestPlan:
        plan = cls(*row)
        return dataclasses.replace(plan, tools=intern(plan.tools), output_schema=intern(plan.output_schema),
                                   labels=intern(plan.labels))


_INTERNED: dict[bytes, str] = {}
_INTERN_LIMIT = 4096


def intern(text: str) -> str:
    """One shared copy per distinct text (keyed by its hash), so 100,000 rows with one schema hold it once."""
    if not text:
        return ""
    key = hashlib.blake2b(text.encode(), digest_size=16).digest()
    shared = _INTERNED.get(key)
    if shared is None:
        if len(_INTERNED) >= _INTERN_LIMIT:
            _INTERNED.clear()
        _INTERNED[key] = shared = text
    return shared


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _user_text(params: dict[str, Any]) -> str:
    """The whole last user text of the conversation."""
    messages = params.get("messages")
    if not isinstance(messages, list):
        return ""
    for message in reversed(messages):
        if not isinstance(message, dict) or message.get("role") != "user":
            continue
        content = message.get("content")
        if isinstance(content, str):
            return content
        if isinstance(content, list):
            texts = [b.get("text", "") for b in content if isinstance(b, dict) and b.get("type") == "text"]
            return " ".join(t for t in texts if isinstance(t, str))
        return ""
    return ""


def _envelope_error(params: dict[str, Any], api_version: str) -> tuple[str, str] | None:
    """Errors any model would give: unknown fields, missing or mistyped required ones."""
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
    profile = params.get("user_profile_id")
    if profile is not None and not isinstance(profile, str):
        return "invalid_request_error", "user_profile_id: Input should be a valid string"
    return None


def _invalid(message: str) -> tuple[str, str]:
    return "invalid_request_error", message


def _thinking_error(params: dict[str, Any], info: ModelInfo, max_tokens: int) -> tuple[str, str] | None:
    thinking = params.get("thinking")
    if thinking is None:
        return None
    kind = thinking.get("type") if isinstance(thinking, dict) else None
    if kind not in THINKING_TYPES:
        return _invalid("thinking: Input tag does not match any of the expected tags: 'enabled', 'disabled', 'adaptive'")
    assert isinstance(thinking, dict)
    if kind not in info.thinking:
        if kind == "enabled":
            return _invalid('"thinking.type.enabled" is not supported for this model. Use "thinking.type.adaptive" '
                            'and "output_config.effort" to control thinking behavior.')
        return _invalid(f'"thinking.type.{kind}" is not supported for this model.')
    if kind != "enabled":
        if "budget_tokens" in thinking:
            return _invalid(f"thinking.{kind}.budget_tokens: Extra inputs are not permitted")
        return None
    budget = thinking.get("budget_tokens")
    if budget is None:
        return _invalid("thinking.enabled.budget_tokens: Field required")
    if not isinstance(budget, int) or isinstance(budget, bool):
        return _invalid("thinking.enabled.budget_tokens: Input should be a valid integer")
    if budget < MIN_THINKING_BUDGET:
        return _invalid(f"thinking.enabled.budget_tokens: Input should be greater than or equal to {MIN_THINKING_BUDGET}")
    if budget >= max_tokens:
        return _invalid("`max_tokens` must be greater than `thinking.budget_tokens`. Please consult our documentation "
                        "at https://docs.claude.com/en/docs/build-with-claude/extended-thinking"
                        "#max-tokens-and-context-window-size")
    return None


def _sampling_with_thinking_error(params: dict[str, Any]) -> tuple[str, str] | None:
    """Thinking leaves temperature at 1, top_p at 0.95 or more and top_k unset (extended thinking docs)."""
    if not _thinking_on(params):
        return None
    docs = ("Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/"
            "extended-thinking#feature-compatibility")
    if "temperature" in params and params["temperature"] != 1:
        return _invalid(f"`temperature` may only be set to 1 when thinking is enabled. {docs}")
    if "top_p" in params and not (isinstance(params["top_p"], (int, float)) and 0.95 <= params["top_p"] <= 1):
        return _invalid(f"`top_p` must be greater than or equal to 0.95 or unset when thinking is enabled. {docs}")
    if "top_k" in params:
        return _invalid(f"`top_k` must be unset when thinking is enabled. {docs}")
    return None


def _thinking_on(params: dict[str, Any]) -> bool:
    thinking = params.get("thinking")
    return isinstance(thinking, dict) and thinking.get("type") in ("enabled", "adaptive")


def _tools(params: dict[str, Any]) -> list[tuple[str, Any]]:
    tools = params.get("tools")
    if not isinstance(tools, list):
        return []
    return [(str(t.get("name", "tool")), t.get("input_schema", {})) for t in tools if isinstance(t, dict)]


def _tool_choice_error(params: dict[str, Any], tools: list[tuple[str, Any]]) -> tuple[str, str] | None:
    choice = params.get("tool_choice")
    if choice is None:
        return None
    kind = choice.get("type") if isinstance(choice, dict) else None
    if kind not in TOOL_CHOICES:
        return _invalid("tool_choice: Input tag does not match any of the expected tags: 'auto', 'any', 'tool', 'none'")
    assert isinstance(choice, dict)
    if kind == "tool":
        name = choice.get("name")
        if not isinstance(name, str):
            return _invalid("tool_choice.tool.name: Field required")
        if name not in {n for n, _ in tools}:
            return _invalid(f"tool_choice: Tool '{name}' not found in tools")
    if kind in ("any", "tool"):
        if not tools:
            return _invalid("tool_choice: tool_choice may only be specified while providing tools.")
        if _thinking_on(params):
            return _invalid("Thinking may not be enabled when tool_choice forces tool use.")
    return None


def _output_format_error(params: dict[str, Any]) -> tuple[str, str] | None:
    config = params.get("output_config")
    if config is None:
        return None
    if not isinstance(config, dict):
        return _invalid("output_config: Input should be a valid dictionary")
    fmt = config.get("format")
    if fmt is None:
        return None
    if not isinstance(fmt, dict) or fmt.get("type") != "json_schema":
        return _invalid("output_config.format.type: Input should be 'json_schema'")
    if not isinstance(fmt.get("schema"), dict):
        return _invalid("output_config.format.json_schema.schema: Field required")
    return None


def _model_error(params: dict[str, Any], info: ModelInfo, betas: frozenset[str]) -> tuple[str, str] | None:
    """The rules of the model's catalog entry (limits, sampling, thinking, prefill), in the API's words."""
    max_tokens = params["max_tokens"]
    allowed = info.max_tokens_with(betas)
    if max_tokens > allowed:
        return _invalid(f"max_tokens: {max_tokens} > {allowed}, which is the maximum allowed "
                        f"number of output tokens for {info.id}")
    if not info.sampling:
        for key in SAMPLING_FIELDS:
            if key in params:
                return _invalid(f"`{key}` is deprecated for this model.")
    error = _thinking_error(params, info, max_tokens) or _sampling_with_thinking_error(params)
    if error:
        return error
    last = params["messages"][-1]
    if last.get("role") == "assistant" and (not info.prefill or _thinking_on(params)):
        return _invalid("This model does not support assistant message prefill. "
                        "The conversation must end with a user message.")
    return _tool_choice_error(params, _tools(params)) or _output_format_error(params)


def _params_error(params: dict[str, Any], api_version: str, catalog: Catalog, now: float,
                  betas: frozenset[str]) -> tuple[str, str] | None:
    """The (error type, message) a real request with these params would fail with, or None."""
    error = _envelope_error(params, api_version)
    if error:
        return error
    model = params["model"]
    info = catalog.resolve(model)
    if info is None or info.retired_on(now):
        return "not_found_error", f"model: {model}"
    return _model_error(params, info, betas)


def _features(params: dict[str, Any], prompt_json: str) -> int:
    features = 0
    if _tools(params):
        features |= FEATURE_TOOLS
    if _thinking_on(params):
        features |= FEATURE_THINKING
    if "cache_control" in params or '"cache_control"' in prompt_json:
        features |= FEATURE_CACHE
    return features


def _reply_shape(params: dict[str, Any]) -> tuple[str, str, str, str]:
    """(tool_choice, tool_name, tools JSON, output schema JSON) that decide a reply's content blocks."""
    tools = _tools(params)
    choice = params.get("tool_choice")
    kind = choice.get("type", "auto") if isinstance(choice, dict) else "auto"
    fmt = (params.get("output_config") or {}).get("format") if isinstance(params.get("output_config"), dict) else None
    output_schema = intern(canonical(fmt["schema"])) if isinstance(fmt, dict) and "schema" in fmt else ""
    if not tools or kind == "none":
        return ("none" if tools else ""), "", "", output_schema
    if kind == "tool":
        name = str(choice.get("name")) if isinstance(choice, dict) else ""
        called = [(n, s) for n, s in tools if n == name][:1]
    elif kind == "any":
        name, called = "", tools
    else:
        name, called = tools[0][0], tools[:1]
    return str(kind), name, intern(canonical(called)), output_schema


def _prompt_json(params: dict[str, Any]) -> str:
    """System, messages and tools serialised once: sized for tokens, searched for cache_control."""
    return json.dumps([params.get(k, "") for k in ("system", "messages", "tools")], ensure_ascii=False)


def estimate_input_tokens(prompt_json: str) -> int:
    """Roughly four characters a token, as a tokenizer would count them."""
    return max(1, len(prompt_json) // 4 + 8)


def plan_request(custom_id: str, params: dict[str, Any], api_version: str, catalog: Catalog = DEFAULT_CATALOG,
                 now: float | None = None, betas: frozenset[str] = frozenset()) -> RequestPlan:
    """Build the compact plan of one request whose envelope already passed create-time checks.

    `now` is the emulated clock's time (retirements), `betas` the create request's `anthropic-beta`s.
    """
    error = _params_error(params, api_version, catalog, time.time() if now is None else now, betas)
    model = params.get("model")
    info = catalog.resolve(model) if isinstance(model, str) else None
    max_tokens = params.get("max_tokens")
    prompt_json = _prompt_json(params)
    text = _user_text(params)
    tool_choice, tool_name, tools, output_schema = _reply_shape(params) if error is None else ("", "", "", "")
    return RequestPlan(
        custom_id=custom_id,
        model=info.id if info else str(model),
        max_tokens=max_tokens if isinstance(max_tokens, int) and not isinstance(max_tokens, bool) else 0,
        input_tokens=estimate_input_tokens(prompt_json),
        prompt=text[:PROMPT_EXCERPT],
        features=_features(params, prompt_json),
        tool_name=sys.intern(tool_name),
        error_type=error[0] if error else None,
        error_message=error[1] if error else None,
        tool_choice=sys.intern(tool_choice),
        tools=tools,
        output_schema=output_schema,
        labels=intern("|".join(closed_labels(text))),
    )
