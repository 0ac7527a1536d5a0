"""The models the emulator knows: alias → resolved id and maximum output tokens.

Aliases resolve like the real API (`claude-haiku-4-5` → `claude-haiku-4-5-20251001`);
an id the table does not know is answered as the real API does, with a `not_found_error`
row. Dated ids are those Anthropic published; newer models use their alias as the id.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ModelInfo:
    id: str
    max_output_tokens: int


_MODELS: tuple[tuple[tuple[str, ...], ModelInfo], ...] = (
    (("claude-fable-5-1",), ModelInfo("claude-fable-5-1", 128_000)),
    (("claude-mythos-5-1",), ModelInfo("claude-mythos-5-1", 128_000)),
    (("claude-fable-5",), ModelInfo("claude-fable-5", 128_000)),
    (("claude-mythos-5",), ModelInfo("claude-mythos-5", 128_000)),
    (("claude-opus-5-5",), ModelInfo("claude-opus-5-5", 128_000)),
    (("claude-opus-5",), ModelInfo("claude-opus-5", 128_000)),
    (("claude-opus-4-8",), ModelInfo("claude-opus-4-8", 128_000)),
    (("claude-opus-4-7",), ModelInfo("claude-opus-4-7", 128_000)),
    (("claude-opus-4-6",), ModelInfo("claude-opus-4-6", 128_000)),
    (("claude-opus-4-5", "claude-opus-4-5-20251101"), ModelInfo("claude-opus-4-5-20251101", 64_000)),
    (("claude-opus-4-1", "claude-opus-4-1-20250805"), ModelInfo("claude-opus-4-1-20250805", 32_000)),
    (("claude-opus-4-0", "claude-opus-4-20250514"), ModelInfo("claude-opus-4-20250514", 32_000)),
    (("claude-sonnet-5-5",), ModelInfo("claude-sonnet-5-5", 64_000)),
    (("claude-sonnet-5",), ModelInfo("claude-sonnet-5", 64_000)),
    (("claude-sonnet-4-6",), ModelInfo("claude-sonnet-4-6", 64_000)),
    (("claude-sonnet-4-5", "claude-sonnet-4-5-20250929"), ModelInfo("claude-sonnet-4-5-20250929", 64_000)),
    (("claude-haiku-5-5",), ModelInfo("claude-haiku-5-5", 64_000)),
    (("claude-haiku-4-5", "claude-haiku-4-5-20251001"), ModelInfo("claude-haiku-4-5-20251001", 64_000)),
)

MODELS: dict[str, ModelInfo] = {alias: info for aliases, info in _MODELS for alias in aliases}


def resolve(model: str) -> ModelInfo | None:
    """The model behind an id or alias, or None when the API would not know it."""
    return MODELS.get(model)
