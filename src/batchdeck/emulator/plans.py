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

from batchdeck.emulator.catalog import DEFAULT_CATALOG, Catalog
from batchdeck.emulator.labels import closed_labels
from batchdeck.emulator.rules import params_error, thinking_on, tools_of

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
    tool_name: str = ""  # the tool a reply calls (`auto`, `tool`); empty for `any` (picked per reply)
    error_type: str | None = None  # deferred validation failure, if any
    error_message: str | None = None
    attempt: int = 0  # earlier client batches of the workspace that held this custom_id (see outcomes)
    tool_choice: str = ""  # auto | any | tool | none; "" = no tools given (or a synthetic row)
    tools: str = ""  # interned canonical JSON [[name, input_schema], ...] of the tools a reply may call
    output_schema: str = ""  # interned canonical JSON of `output_config.format.schema`, if any
    labels: str = ""  # interned "a|b|c": the closed label set a classification prompt names

    def to_row(self) -> list[Any]:
        return [
            self.custom_id,
            self.model,
            self.max_tokens,
            self.input_tokens,
            self.prompt,
            self.features,
            self.tool_name,
            self.error_type,
            self.error_message,
            self.attempt,
            self.tool_choice,
            self.tools,
            self.output_schema,
            self.labels,
        ]

    @classmethod
    def from_row(cls, row: list[Any]) -> RequestPlan:
        plan = cls(*row)
        return dataclasses.replace(
            plan, tools=intern(plan.tools), output_schema=intern(plan.output_schema), labels=intern(plan.labels)
        )


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


def _features(params: dict[str, Any], prompt_json: str) -> int:
    features = 0
    if tools_of(params):
        features |= FEATURE_TOOLS
    if thinking_on(params):
        features |= FEATURE_THINKING
    if "cache_control" in params or '"cache_control"' in prompt_json:
        features |= FEATURE_CACHE
    return features


def _reply_shape(params: dict[str, Any]) -> tuple[str, str, str, str]:
    """(tool_choice, tool_name, tools JSON, output schema JSON) that decide a reply's content blocks."""
    tools = tools_of(params)
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


def plan_request(
    custom_id: str,
    params: dict[str, Any],
    api_version: str,
    catalog: Catalog = DEFAULT_CATALOG,
    now: float | None = None,
    betas: frozenset[str] = frozenset(),
) -> RequestPlan:
    """Build the compact plan of one request whose envelope already passed create-time checks.

    `now` is the emulated clock's time (retirements), `betas` the create request's `anthropic-beta`s.
    """
    error = params_error(params, api_version, catalog, time.time() if now is None else now, betas)
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
