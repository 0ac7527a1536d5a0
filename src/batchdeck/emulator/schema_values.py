"""A small deterministic generator of JSON values that fit a JSON Schema.

Covers what tool `input_schema`s and `output_config.format` schemas use in practice: `type`
(one or a list), `properties`/`required`, `additionalProperties` (no extra keys are ever
invented), `enum`, `const`, arrays with `items`/`minItems`/`maxItems`/`uniqueItems` (kept
small), nested objects, local `$ref`s (`#/$defs/...`, `#/definitions/...`, as pydantic writes
them), `anyOf`/`oneOf` (one branch picked), `allOf` (merged), `nullable` types, numeric
bounds (`minimum`, `maximum`, exclusive ones, `multipleOf` for integers), string lengths and
the cheap formats `date`, `date-time`, `time`, `email`, `uri`, `uuid`, `ipv4`. A `pattern` is
not honoured. Only optional properties are sometimes left out. Sizes are capped (200 items,
8,192 characters, 20,000 values a reply), so a hostile schema yields a non-fitting value
rather than stalling the server.
"""

from __future__ import annotations

import random
from typing import Any, TypeVar

MAX_DEPTH = 8
MAX_NODES = 20_000  # a hostile schema (huge minItems, deep nesting) cannot stall the server
MAX_ITEMS = 200
MAX_CHARS = 8_192
_WORDS = ("alpha", "bravo", "delta", "echo", "harbor", "lumen", "maple", "nova", "orbit", "quartz", "river", "sable")


class _Gen:
    def __init__(self, rng: random.Random, root: Any, hint: str) -> None:
        self.rng = rng
        self.root = root
        self.hint = hint
        self.nodes = 0

    def value(self, schema: Any, depth: int = 0) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            return None
        if not isinstance(schema, dict) or depth > MAX_DEPTH:
            return None if depth > MAX_DEPTH else self.string({})
        schema = self.flatten(schema, depth)
        if "const" in schema:
            return schema["const"]
        if isinstance(schema.get("enum"), list) and schema["enum"]:
            return self.rng.choice(schema["enum"])
        kind = self.kind(schema)
        if kind == "object":
            return self.obj(schema, depth)
        if kind == "array":
            return self.array(schema, depth)
        if kind == "integer":
            return self.integer(schema)
        if kind == "number":
            return self.number(schema)
        if kind == "boolean":
            return self.rng.random() < 0.5
        if kind == "null":
            return None
        return self.string(schema)

    def flatten(self, schema: dict[str, Any], depth: int) -> dict[str, Any]:
        """Resolve `$ref`, pick one `anyOf`/`oneOf` branch, merge `allOf`, until a plain schema is left."""
        for _ in range(MAX_DEPTH):
            if isinstance(schema.get("$ref"), str):
                target = self.ref(schema["$ref"])
                rest = {k: v for k, v in schema.items() if k != "$ref"}
                schema = {**target, **rest}
            elif isinstance(schema.get("anyOf") or schema.get("oneOf"), list):
                key = "anyOf" if isinstance(schema.get("anyOf"), list) else "oneOf"
                branches = [b for b in schema[key] if isinstance(b, dict)] or [{}]
                non_null = [b for b in branches if b.get("type") != "null"] or branches
                rest = {k: v for k, v in schema.items() if k != key}
                schema = {**rest, **self.rng.choice(non_null)}
            elif isinstance(schema.get("allOf"), list):
                merged: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
                for part in schema["allOf"]:
                    if isinstance(part, dict):
                        part = self.flatten(part, depth + 1)
                        merged["properties"] = {**merged.get("properties", {}), **part.get("properties", {})}
                        merged["required"] = [*merged.get("required", []), *part.get("required", [])]
                        merged.update({k: v for k, v in part.items() if k not in ("properties", "required")})
                schema = merged
            else:
                break
        return schema

    def ref(self, ref: str) -> dict[str, Any]:
        node: Any = self.root
        if not ref.startswith("#"):
            return {}
        for part in ref[1:].split("/"):
            if not part:
                continue
            part = part.replace("~1", "/").replace("~0", "~")
            node = node.get(part) if isinstance(node, dict) else None
        return node if isinstance(node, dict) else {}

    @staticmethod
    def kind(schema: dict[str, Any]) -> str:
        kind = schema.get("type")
        if isinstance(kind, list):
            kinds = [k for k in kind if k != "null"] or ["null"]
            kind = kinds[0]
        if isinstance(kind, str):
            return kind
        if "properties" in schema or "required" in schema:
            return "object"
        if "items" in schema:
            return "array"
        return "string"

    def obj(self, schema: dict[str, Any], depth: int) -> dict[str, Any]:
        props = _of_type(schema, "properties", dict)
        required = [r for r in schema.get("required", []) if isinstance(r, str)]
        out: dict[str, Any] = {}
        for name, sub in props.items():
            if name in required or self.rng.random() < 0.7:
                out[name] = self.value(sub, depth + 1)
        for name in required:  # required but undescribed: any string fits
            if name not in out:
                out[name] = self.string({})
        return out

    def array(self, schema: dict[str, Any], depth: int) -> list[Any]:
        lo = min(_int(schema.get("minItems"), 0), MAX_ITEMS)
        hi = _int(schema.get("maxItems"), max(lo, 3))
        hi = max(lo, min(hi, lo + 3))
        count = self.rng.randint(lo, hi)
        items = _of_type(schema, "items", dict)
        prefix = _of_type(schema, "prefixItems", list)
        out = [self.value(p, depth + 1) for p in prefix[:count]]
        attempts = 0
        while len(out) < count and attempts < count * 4 + 4:
            attempts += 1
            item = self.value(items, depth + 1)
            if schema.get("uniqueItems") and item in out:
                continue
            out.append(item)
        return out

    def integer(self, schema: dict[str, Any]) -> int:
        lo, hi = _bounds(schema, 0, 100, integral=True)
        step = schema.get("multipleOf")
        if isinstance(step, int) and not isinstance(step, bool) and step > 0:
            first = -(-int(lo) // step) * step
            if first <= hi:
                return first + step * self.rng.randint(0, int((hi - first) // step))
        return self.rng.randint(int(lo), int(hi))

    def number(self, schema: dict[str, Any]) -> float:
        lo, hi = _bounds(schema, 0.0, 100.0, integral=False)
        value = round(lo + (hi - lo) * self.rng.random(), 2)
        return min(max(value, lo), hi)

    def string(self, schema: dict[str, Any]) -> str:
        fmt = schema.get("format")
        rng = self.rng
        if fmt == "date":
            return f"20{rng.randint(20, 29)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        if fmt == "date-time":
            return (
                f"20{rng.randint(20, 29)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
                f"T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}Z"
            )
        if fmt == "time":
            return f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}Z"
        if fmt == "email":
            return f"{rng.choice(_WORDS)}.{rng.choice(_WORDS)}@example.com"
        if fmt in ("uri", "url"):
            return f"https://example.com/{rng.choice(_WORDS)}/{rng.randint(1, 999)}"
        if fmt == "uuid":
            h = f"{rng.getrandbits(128):032x}"
            return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[rng.randint(0, 3)]}{h[17:20]}-{h[20:32]}"
        if fmt == "ipv4":
            return ".".join(str(rng.randint(1, 254)) for _ in range(4))
        text = self.hint or rng.choice(_WORDS)
        lo = min(_int(schema.get("minLength"), 0), MAX_CHARS)
        hi = _int(schema.get("maxLength"), max(lo, 40))
        if len(text) < lo:
            text = (text + " " + rng.choice(_WORDS)) * (lo // (len(text) + 1) + 1)
        return text[: max(lo, hi)]


_Container = TypeVar("_Container", dict[str, Any], list[Any])


def _of_type(schema: dict[str, Any], key: str, kind: type[_Container]) -> _Container:
    """`schema[key]` when it is a `kind` (a dict or a list), else an empty one."""
    value = schema.get(key)
    return value if isinstance(value, kind) else kind()


def _int(value: Any, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else default


def _num(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _bounds(schema: dict[str, Any], lo: float, hi: float, integral: bool) -> tuple[float, float]:
    """The closed [lo, hi] range a value must fall in, defaults moved inside any bound given."""
    nudge = 1 if integral else 0.01
    low, high = _num(schema.get("minimum")), _num(schema.get("maximum"))
    xlow, xhigh = _num(schema.get("exclusiveMinimum")), _num(schema.get("exclusiveMaximum"))
    if xlow is not None:
        low = max(low if low is not None else xlow + nudge, xlow + nudge)
    if xhigh is not None:
        high = min(high if high is not None else xhigh - nudge, xhigh - nudge)
    if integral:
        low = None if low is None else float(-(-low // 1))
        high = None if high is None else float(high // 1)
    if low is not None and high is None:
        lo, hi = low, low + (hi - lo)
    elif high is not None and low is None:
        lo, hi = high - (hi - lo), high
    elif low is not None and high is not None:
        lo, hi = low, max(low, high)
    return lo, hi


def generate(schema: Any, seed: str, hint: str = "") -> Any:
    """A value fitting `schema`, the same for the same (schema, seed); `hint` seeds free-text strings."""
    return _Gen(random.Random(seed), schema, hint[:40]).value(schema)
