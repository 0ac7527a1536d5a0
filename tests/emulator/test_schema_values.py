"""The JSON Schema value generator behind structured replies, and what plans keep of schemas."""

from __future__ import annotations

import json

import pytest

from batchdeck.emulator.create import validate_create
from batchdeck.emulator.schema_values import generate
from tests.conftest import request
from tests.emulator.strict import check

SCHEMAS = [
    {"type": "string", "format": "date"},
    {"type": "string", "format": "date-time"},
    {"type": "string", "format": "email"},
    {"type": "string", "format": "uri"},
    {"type": "string", "format": "uuid"},
    {"type": "string", "minLength": 12, "maxLength": 14},
    {"type": "integer", "minimum": 7, "maximum": 9},
    {"type": "integer", "exclusiveMinimum": 0, "exclusiveMaximum": 3},
    {"type": "number", "minimum": -1.5, "maximum": -1.0},
    {"type": "integer", "minimum": 1000},
    {"type": "number", "maximum": -500},
    {"enum": ["red", "green", 3]},
    {"const": {"fixed": True}},
    {"type": "boolean"},
    {"type": ["string", "null"]},
    {"type": "array", "items": {"type": "integer", "minimum": 0, "maximum": 3}, "minItems": 2, "maxItems": 4},
    {"type": "array", "items": {"type": "string"}, "minItems": 0, "maxItems": 0},
    {"anyOf": [{"type": "integer"}, {"type": "string", "format": "email"}]},
    {
        "oneOf": [
            {
                "type": "object",
                "properties": {"a": {"type": "string"}},
                "required": ["a"],
                "additionalProperties": False,
            },
            {"type": "null"},
        ]
    },
    {
        "type": "object",
        "properties": {
            "outer": {
                "type": "object",
                "properties": {"inner": {"type": "array", "items": {"$ref": "#/$defs/leaf"}, "minItems": 1}},
                "required": ["inner"],
                "additionalProperties": False,
            }
        },
        "required": ["outer"],
        "additionalProperties": False,
        "$defs": {
            "leaf": {
                "type": "object",
                "properties": {"when": {"type": "string", "format": "date"}},
                "required": ["when"],
                "additionalProperties": False,
            }
        },
    },
    {"type": "object", "required": ["undescribed"]},
]


@pytest.mark.parametrize("schema", SCHEMAS, ids=[json.dumps(s)[:40] for s in SCHEMAS])
def test_generated_values_fit_their_schema(schema: dict) -> None:
    for seed in range(40):
        check(generate(schema, f"0:row-{seed}:0"), schema)


def test_same_key_same_value_other_key_other_value() -> None:
    schema = {"type": "object", "properties": {"id": {"type": "string", "format": "uuid"}}, "required": ["id"]}
    assert generate(schema, "0:a:0") == generate(schema, "0:a:0")
    assert generate(schema, "0:a:0") != generate(schema, "0:a:1")
    assert generate(schema, "0:a:0") != generate(schema, "1:a:0")


def test_plans_share_one_copy_of_a_schema_across_rows() -> None:
    """100,000 rows with the same schema hold it once: plans keep an interned canonical JSON text."""
    schema = {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}
    tools = [{"name": "t", "input_schema": schema}]
    rows = [
        request(
            f"r{i}",
            tools=tools,
            tool_choice={"type": "tool", "name": "t"},
            output_config={"format": {"type": "json_schema", "schema": dict(schema)}},
        )
        for i in range(200)
    ]
    plans = validate_create(json.dumps({"requests": rows}).encode(), "2023-06-01")
    assert len(plans) == 200 and all(p.error_type is None for p in plans)
    assert len({id(p.tools) for p in plans}) == 1
    assert len({id(p.output_schema) for p in plans}) == 1


def test_a_hostile_schema_cannot_stall_the_generator() -> None:
    import time

    nested: dict = {"type": "string"}
    for _ in range(12):
        nested = {"type": "array", "items": nested, "minItems": 10**9}
    started = time.monotonic()
    generate(nested, "0:x:0")
    generate({"type": "string", "minLength": 10**9}, "0:x:0")
    assert time.monotonic() - started < 2
