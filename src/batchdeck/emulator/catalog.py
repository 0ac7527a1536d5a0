"""The models the emulator knows and the rules each one enforces: one table, one place to update.

Per model: its id and aliases (`claude-haiku-4-5` → `claude-haiku-4-5-20251001`), maximum
output tokens (and whether the batch-only `output-300k-2026-03-24` beta lifts it to 300,000),
the `thinking.type` values it accepts, whether it still takes the sampling knobs
(`temperature`, `top_p`, `top_k`) and an assistant prefill, and its retirement date. A model
unknown to the table, or retired on the emulated clock's date, is answered as the real API
does: a `not_found_error` row. Sources and choices are listed in the README's emulator section.

`--model-catalog FILE` (JSON or TOML) adds models or changes fields of known ones without a
release: `{"models": [{"id": "claude-new-6", "max_output_tokens": 128000}, {"id":
"claude-sonnet-4-5-20250929", "retired": "2026-09-29"}]}`.
"""

from __future__ import annotations

import dataclasses
import json
import tomllib
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

BETA_OUTPUT_300K = "output-300k-2026-03-24"
OUTPUT_300K = 300_000
THINKING_TYPES = ("enabled", "adaptive", "disabled")
ADAPTIVE_ONLY = frozenset({"adaptive"})
BUDGETED = frozenset({"enabled", "disabled"})
ALL_THINKING = frozenset(THINKING_TYPES)


@dataclass(frozen=True)
class ModelInfo:
    id: str
    max_output_tokens: int
    aliases: tuple[str, ...] = ()
    thinking: frozenset[str] = BUDGETED  # accepted `thinking.type` values
    sampling: bool = True  # accepts temperature / top_p / top_k
    prefill: bool = True  # accepts a conversation ending with an assistant turn
    output_300k: bool = False  # `output-300k-2026-03-24` (batches only) raises max_tokens to 300,000
    retired: str | None = None  # ISO date from which requests fail with not_found_error

    def max_tokens_with(self, betas: frozenset[str]) -> int:
        if self.output_300k and BETA_OUTPUT_300K in betas:
            return max(self.max_output_tokens, OUTPUT_300K)
        return self.max_output_tokens

    def retired_on(self, when: float) -> bool:
        """Whether the model is retired at POSIX time `when` (the emulated clock's)."""
        if self.retired is None:
            return False
        return datetime.fromtimestamp(when, tz=UTC).date() >= date.fromisoformat(self.retired)


def _newer(model_id: str, max_output: int, **rules: Any) -> ModelInfo:
    """Claude 4.7 and later: adaptive thinking only, no sampling knobs, no prefill."""
    return ModelInfo(model_id, max_output, thinking=ADAPTIVE_ONLY, sampling=False, prefill=False, **rules)


MODELS_TABLE: tuple[ModelInfo, ...] = (
    _newer("claude-fable-5-1", 128_000),
    _newer("claude-mythos-5-1", 128_000),
    _newer("claude-fable-5", 128_000),
    _newer("claude-mythos-5", 128_000),
    _newer("claude-opus-5-5", 128_000),
    _newer("claude-opus-5", 128_000),
    _newer("claude-opus-4-8", 128_000, output_300k=True),
    _newer("claude-opus-4-7", 128_000, output_300k=True),
    ModelInfo("claude-opus-4-6", 128_000, thinking=ALL_THINKING, prefill=False, output_300k=True),
    ModelInfo("claude-opus-4-5-20251101", 64_000, ("claude-opus-4-5",)),
    ModelInfo("claude-opus-4-1-20250805", 32_000, ("claude-opus-4-1",), retired="2026-08-05"),
    ModelInfo("claude-opus-4-20250514", 32_000, ("claude-opus-4-0",), retired="2026-06-15"),
    _newer("claude-sonnet-5-5", 64_000),
    _newer("claude-sonnet-5", 64_000),
    ModelInfo("claude-sonnet-4-6", 64_000, thinking=ALL_THINKING, output_300k=True),
    ModelInfo("claude-sonnet-4-5-20250929", 64_000, ("claude-sonnet-4-5",)),
    ModelInfo("claude-sonnet-4-20250514", 64_000, ("claude-sonnet-4-0",), retired="2026-06-15"),
    _newer("claude-haiku-5-5", 64_000),
    ModelInfo("claude-haiku-4-5-20251001", 64_000, ("claude-haiku-4-5",)),
)


class Catalog:
    """Alias → model lookup over a table of `ModelInfo`."""

    def __init__(self, models: tuple[ModelInfo, ...] | list[ModelInfo] = MODELS_TABLE) -> None:
        self.models = tuple(models)
        self._by_name = {name: info for info in self.models for name in (info.id, *info.aliases)}

    def resolve(self, model: str) -> ModelInfo | None:
        """The model behind an id or alias (retired or not), or None when the table does not know it."""
        return self._by_name.get(model)

    def merged(self, entries: list[dict[str, Any]], where: str) -> Catalog:
        """A catalog with `entries` applied: a known id gets the given fields changed, a new id is added."""
        by_id = {info.id: info for info in self.models}
        for i, entry in enumerate(entries):
            model_id = entry.get("id") if isinstance(entry, dict) else None
            known = by_id.get(model_id) if isinstance(model_id, str) else None
            info = _entry(entry, f"{where}: models[{i}]", known)
            by_id[info.id] = info
        return Catalog(tuple(by_id.values()))


DEFAULT_CATALOG = Catalog()


def resolve(model: str) -> ModelInfo | None:
    """The model behind an id or alias in the built-in table (retired or not)."""
    return DEFAULT_CATALOG.resolve(model)


_FIELD_TYPES: dict[str, type] = {"max_output_tokens": int, "sampling": bool, "prefill": bool, "output_300k": bool}


def _entry(entry: Any, where: str, known: ModelInfo | None) -> ModelInfo:
    """One model entry of a catalog file, checked field by field with a one-line error."""
    if not isinstance(entry, dict):
        raise ValueError(f"{where}: expected a table/object")
    model_id = entry.get("id")
    if not isinstance(model_id, str) or not model_id:
        raise ValueError(f"{where}: 'id' must be a non-empty string")
    changes: dict[str, Any] = {}
    for key, value in entry.items():
        if key == "id":
            continue
        if key in _FIELD_TYPES:
            want = _FIELD_TYPES[key]
            if type(value) is not want or (want is int and isinstance(value, int) and value < 1):
                raise ValueError(f"{where}: '{key}' must be a {'positive integer' if want is int else 'boolean'}")
            changes[key] = value
        elif key == "aliases":
            if not isinstance(value, list) or not all(isinstance(a, str) and a for a in value):
                raise ValueError(f"{where}: 'aliases' must be a list of strings")
            changes[key] = tuple(value)
        elif key == "thinking":
            if not isinstance(value, list) or not all(v in THINKING_TYPES for v in value):
                raise ValueError(f"{where}: 'thinking' must be a list of {', '.join(THINKING_TYPES)}")
            changes[key] = frozenset(value)
        elif key == "retired":
            changes[key] = _iso_date(value, where)
        else:
            raise ValueError(f"{where}: unknown field '{key}'")
    if known is not None:
        return dataclasses.replace(known, **changes)
    if "max_output_tokens" not in changes:
        raise ValueError(f"{where}: a new model needs 'max_output_tokens'")
    return ModelInfo(model_id, **changes)


def _iso_date(value: Any, where: str) -> str | None:
    if value is None or value is False:
        return None
    if isinstance(value, date):  # TOML dates arrive parsed
        return value.isoformat()[:10]
    try:
        return date.fromisoformat(str(value)).isoformat()
    except ValueError:
        raise ValueError(f"{where}: 'retired' must be a date like 2026-06-15, got {value!r}") from None


def load_catalog(path: Path, base: Catalog = DEFAULT_CATALOG) -> Catalog:
    """The built-in catalog with a JSON or TOML file's `models` applied (ValueError, one line, if bad)."""
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise ValueError(f"cannot read model catalog {path}: {exc.strerror or exc}") from None
    try:
        data = tomllib.loads(raw.decode()) if Path(path).suffix.lower() == ".toml" else json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        kind = "TOML" if Path(path).suffix.lower() == ".toml" else "JSON"
        raise ValueError(f"model catalog {path} is not valid {kind}: {str(exc).splitlines()[0]}") from None
    if not isinstance(data, dict) or not isinstance(data.get("models"), list):
        raise ValueError(f"model catalog {path}: expected a top-level 'models' list")
    return base.merged(data["models"], str(path))
