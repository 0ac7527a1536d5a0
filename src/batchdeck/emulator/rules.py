"""Which `params` a real request would fail with, and the API's error type and message for them.

Checked per row when a batch is created (the real API reports them as `errored` rows): first
what any model refuses (unknown fields, missing or mistyped required ones), then the rules of
the model's catalog entry (limits, sampling knobs, thinking modes, prefill), then `tool_choice`
and `output_config.format`. Messages are the live API's where known (README, "choices").
"""

from __future__ import annotations

from typing import Any

from batchdeck.emulator.catalog import THINKING_TYPES, Catalog, ModelInfo

# Versions from this date on dropped the sampling knobs (spec §4).
SAMPLING_REMOVED_IN = "2026-10-21"
SAMPLING_FIELDS = ("temperature", "top_p", "top_k")
ALLOWED_PARAMS = frozenset(
    {
        "model",
        "messages",
        "max_tokens",
        "system",
        "metadata",
        "stop_sequences",
        "stream",
        "tools",
        "tool_choice",
        "thinking",
        "service_tier",
        "container",
        "diagnostics",
        "inference_geo",
        "output_config",
        "cache_control",
        "speed",
        "mcp_servers",
        "context_management",
        "user_profile_id",
        *SAMPLING_FIELDS,
    }
)
MIN_THINKING_BUDGET = 1024
TOOL_CHOICES = ("auto", "any", "tool", "none")
ParamsError = tuple[str, str]  # (error type, message)


def _envelope_error(params: dict[str, Any], api_version: str) -> ParamsError | None:
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


def _invalid(message: str) -> ParamsError:
    return "invalid_request_error", message


def _thinking_error(params: dict[str, Any], info: ModelInfo, max_tokens: int) -> ParamsError | None:
    thinking = params.get("thinking")
    if thinking is None:
        return None
    kind = thinking.get("type") if isinstance(thinking, dict) else None
    if kind not in THINKING_TYPES:
        return _invalid(
            "thinking: Input tag does not match any of the expected tags: 'enabled', 'disabled', 'adaptive'"
        )
    assert isinstance(thinking, dict)
    if kind not in info.thinking:
        if kind == "enabled":
            return _invalid(
                '"thinking.type.enabled" is not supported for this model. Use "thinking.type.adaptive" '
                'and "output_config.effort" to control thinking behavior.'
            )
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
        return _invalid(
            f"thinking.enabled.budget_tokens: Input should be greater than or equal to {MIN_THINKING_BUDGET}"
        )
    if budget >= max_tokens:
        return _invalid(
            "`max_tokens` must be greater than `thinking.budget_tokens`. Please consult our documentation "
            "at https://docs.claude.com/en/docs/build-with-claude/extended-thinking"
            "#max-tokens-and-context-window-size"
        )
    return None


def _sampling_with_thinking_error(params: dict[str, Any]) -> ParamsError | None:
    """Thinking leaves temperature at 1, top_p at 0.95 or more and top_k unset (extended thinking docs)."""
    if not thinking_on(params):
        return None
    docs = (
        "Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/"
        "extended-thinking#feature-compatibility"
    )
    if "temperature" in params and params["temperature"] != 1:
        return _invalid(f"`temperature` may only be set to 1 when thinking is enabled. {docs}")
    if "top_p" in params and not (isinstance(params["top_p"], (int, float)) and 0.95 <= params["top_p"] <= 1):
        return _invalid(f"`top_p` must be greater than or equal to 0.95 or unset when thinking is enabled. {docs}")
    if "top_k" in params:
        return _invalid(f"`top_k` must be unset when thinking is enabled. {docs}")
    return None


def thinking_on(params: dict[str, Any]) -> bool:
    thinking = params.get("thinking")
    return isinstance(thinking, dict) and thinking.get("type") in ("enabled", "adaptive")


def tools_of(params: dict[str, Any]) -> list[tuple[str, Any]]:
    tools = params.get("tools")
    if not isinstance(tools, list):
        return []
    return [(str(t.get("name", "tool")), t.get("input_schema", {})) for t in tools if isinstance(t, dict)]


def _tool_choice_error(params: dict[str, Any], tools: list[tuple[str, Any]]) -> ParamsError | None:
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
        if thinking_on(params):
            return _invalid("Thinking may not be enabled when tool_choice forces tool use.")
    return None


def _output_format_error(params: dict[str, Any]) -> ParamsError | None:
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


def _model_error(params: dict[str, Any], info: ModelInfo, betas: frozenset[str]) -> ParamsError | None:
    """The rules of the model's catalog entry (limits, sampling, thinking, prefill), in the API's words."""
    max_tokens = params["max_tokens"]
    allowed = info.max_tokens_with(betas)
    if max_tokens > allowed:
        return _invalid(
            f"max_tokens: {max_tokens} > {allowed}, which is the maximum allowed number of output tokens for {info.id}"
        )
    if not info.sampling:
        for key in SAMPLING_FIELDS:
            if key in params:
                return _invalid(f"`{key}` is deprecated for this model.")
    error = _thinking_error(params, info, max_tokens) or _sampling_with_thinking_error(params)
    if error:
        return error
    last = params["messages"][-1]
    if last.get("role") == "assistant" and (not info.prefill or thinking_on(params)):
        return _invalid(
            "This model does not support assistant message prefill. The conversation must end with a user message."
        )
    return _tool_choice_error(params, tools_of(params)) or _output_format_error(params)


def params_error(
    params: dict[str, Any], api_version: str, catalog: Catalog, now: float, betas: frozenset[str]
) -> ParamsError | None:
    """The (error type, message) a real request with these params would fail with, or None."""
    error = _envelope_error(params, api_version)
    if error:
        return error
    model = params["model"]
    info = catalog.resolve(model)
    if info is None or info.retired_on(now):
        return "not_found_error", f"model: {model}"
    return _model_error(params, info, betas)
