"""Checks shared by the fidelity tests: strict SDK types for result lines, and JSON Schema validation
(the `jsonschema` library, with stdlib checkers for the formats it would otherwise skip)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import jsonschema
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


# jsonschema checks date, email, ipv4, time and uuid itself; date-time and uri need optional packages, so
# the stdlib does those here rather than letting them pass unchecked.
FORMATS = jsonschema.FormatChecker()


@FORMATS.checks("date-time", raises=ValueError)
def _date_time(value: object) -> bool:
    return not isinstance(value, str) or datetime.fromisoformat(value.replace("Z", "+00:00")).tzinfo is not None


@FORMATS.checks("uri")
def _uri(value: object) -> bool:
    return not isinstance(value, str) or re.match(r"[a-z][a-z0-9+.-]*://[^/\s]+", value) is not None


def check(value: Any, schema: dict[str, Any]) -> None:
    """Assert `value` is valid against `schema` (JSON Schema 2020-12, formats asserted)."""
    errors = list(jsonschema.Draft202012Validator(schema, format_checker=FORMATS).iter_errors(value))
    assert not errors, [f"{'/'.join(map(str, e.absolute_path)) or '$'}: {e.message}" for e in errors[:5]]
