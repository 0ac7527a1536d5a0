"""Checks shared by the fidelity tests: strict SDK types for result lines, a tiny JSON Schema checker."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime
from typing import Any

from anthropic.types.messages import MessageBatchIndividualResponse
from pydantic import BaseModel


# Live rows carry `details` on the inner error object, which the SDK does not model (spec §6).
KNOWN_EXTRAS = {"line.result.error.error": {"details"}}


def _no_extras(model: Any, where: str) -> None:
    if isinstance(model, BaseModel):
        extra = set(model.model_extra or {}) - KNOWN_EXTRAS.get(where, set())
        assert not extra, f"{where}: keys the SDK does not know: {sorted(extra)}"
        for name in type(model).model_fields:
            _no_extras(getattr(model, name), f"{where}.{name}")
    elif isinstance(model, list):
        for i, item in enumerate(model):
            _no_extras(item, f"{where}[{i}]")


def strict_line(line: dict[str, Any]) -> MessageBatchIndividualResponse:
    """A result line validated strictly against the SDK's types, with no key the SDK does not model."""
    parsed = MessageBatchIndividualResponse.model_validate(line, strict=True)
    _no_extras(parsed, "line")
    return parsed


def _ref(root: dict[str, Any], ref: str) -> dict[str, Any]:
    node: Any = root
    for part in ref.lstrip("#/").split("/"):
        node = node[part]
    return node


_FORMATS = {
    "date": date.fromisoformat,
    "date-time": lambda v: datetime.fromisoformat(v.replace("Z", "+00:00")),
    "email": lambda v: re.fullmatch(r"[^@\s]+@[^@\s]+\.[a-z]+", v) or (_ for _ in ()).throw(ValueError(v)),
    "uri": lambda v: re.match(r"https?://[^/\s]+", v) or (_ for _ in ()).throw(ValueError(v)),
    "uuid": uuid.UUID,
}


def check(value: Any, schema: dict[str, Any], root: dict[str, Any] | None = None, where: str = "$") -> None:
    """Assert `value` fits `schema` (the subset the emulator's generator claims to cover)."""
    root = root if root is not None else schema
    if "$ref" in schema:
        check(value, {**_ref(root, schema["$ref"]), **{k: v for k, v in schema.items() if k != "$ref"}}, root, where)
        return
    for key in ("anyOf", "oneOf"):
        if key in schema:
            errors = []
            for branch in schema[key]:
                try:
                    check(value, branch, root, where)
                except AssertionError as exc:
                    errors.append(str(exc))
            assert len(errors) < len(schema[key]), f"{where}: fits no branch of {key}: {errors}"
            return
    if "const" in schema:
        assert value == schema["const"], f"{where}: {value!r} != const {schema['const']!r}"
    if "enum" in schema:
        assert value in schema["enum"], f"{where}: {value!r} not in {schema['enum']}"
    kind = schema.get("type")
    kinds = kind if isinstance(kind, list) else [kind] if kind else []
    python = {"object": dict, "array": list, "string": str, "boolean": bool, "null": type(None)}
    if kinds:
        ok = any((k == "integer" and isinstance(value, int) and not isinstance(value, bool))
                 or (k == "number" and isinstance(value, (int, float)) and not isinstance(value, bool))
                 or (k in python and isinstance(value, python[k])) for k in kinds)
        assert ok, f"{where}: {value!r} is not {kind}"
    if isinstance(value, dict):
        props = schema.get("properties", {})
        for name in schema.get("required", []):
            assert name in value, f"{where}: missing required {name!r}"
        if schema.get("additionalProperties") is False:
            extra = set(value) - set(props)
            assert not extra, f"{where}: keys not allowed: {extra}"
        for name, sub in props.items():
            if name in value:
                check(value[name], sub, root, f"{where}.{name}")
    if isinstance(value, list):
        assert len(value) >= schema.get("minItems", 0), f"{where}: fewer than minItems"
        assert len(value) <= schema.get("maxItems", len(value)), f"{where}: more than maxItems"
        for i, item in enumerate(value):
            check(item, schema.get("items", {}), root, f"{where}[{i}]")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        assert value >= schema.get("minimum", value), f"{where}: {value} < minimum"
        assert value <= schema.get("maximum", value), f"{where}: {value} > maximum"
        if "exclusiveMinimum" in schema:
            assert value > schema["exclusiveMinimum"], f"{where}: {value} <= exclusiveMinimum"
        if "exclusiveMaximum" in schema:
            assert value < schema["exclusiveMaximum"], f"{where}: {value} >= exclusiveMaximum"
    if isinstance(value, str):
        assert len(value) >= schema.get("minLength", 0), f"{where}: shorter than minLength"
        assert len(value) <= schema.get("maxLength", len(value)), f"{where}: longer than maxLength"
        if schema.get("format") in _FORMATS:
            _FORMATS[schema["format"]](value)
