"""Pipelines other people wrote, run against the emulator through the real SDK (issue 14).

instructor-style: a forced tool whose `input_schema` is a pydantic model's JSON Schema; the
tool input is parsed back into the model (instructor's TOOLS mode for Anthropic).
batchata-style: JSON mode via `output_config.format` json_schema; the text block is parsed
into the model. Every reply is validated against its pydantic model and, independently,
against the schema with the small checker in strict.py.
"""

from __future__ import annotations

import json
from enum import Enum
from typing import Literal

import anthropic
from pydantic import BaseModel, ConfigDict, Field

from batchdeck.emulator import Emulator
from tests.conftest import request
from tests.emulator.strict import check, strict_line

DAY = 86400.0


class Priority(str, Enum):  # noqa: UP042  (a pydantic user's enum as it is commonly written)
    low = "low"
    normal = "normal"
    urgent = "urgent"


class Address(BaseModel):
    model_config = ConfigDict(extra="forbid")
    street: str
    city: str
    postcode: str = Field(min_length=4, max_length=10)


class Ticket(BaseModel):
    """A support ticket as a pipeline would extract it."""

    model_config = ConfigDict(extra="forbid")
    category: Literal["billing", "shipping", "refund"]
    priority: Priority
    customer_email: str = Field(json_schema_extra={"format": "email"})
    order_id: str = Field(json_schema_extra={"format": "uuid"})
    amount: float = Field(ge=0, le=10_000)
    items: list[str] = Field(min_length=1, max_length=5)
    rating: int = Field(ge=1, le=5)
    address: Address
    notes: str | None = None
    tags: list[Literal["vip", "repeat", "new"]] = Field(default_factory=list, max_length=3)


TICKET_TEXTS = [f"Order {i}: the parcel to Leeds is late and I was charged twice." for i in range(25)]


def _run(client: anthropic.Anthropic, emulator: Emulator, rows: list[dict]) -> list[dict]:
    batch = client.messages.batches.create(requests=rows)
    emulator.advance(DAY)
    body = client.messages.batches.with_raw_response.results(batch.id).http_response.read()
    lines = [json.loads(line) for line in body.splitlines()]
    for line in lines:
        strict_line(line)
        assert line["result"]["type"] == "succeeded", line
    return lines


def test_instructor_style_forced_tool_calls_parse_into_the_model(
    client: anthropic.Anthropic, emulator: Emulator
) -> None:
    schema = Ticket.model_json_schema()
    tool = {"name": "Ticket", "description": Ticket.__doc__, "input_schema": schema}
    rows = [
        request(
            f"inst-{i}",
            text,
            model="claude-sonnet-4-6",
            max_tokens=1024,
            tools=[tool],
            tool_choice={"type": "tool", "name": "Ticket"},
        )
        for i, text in enumerate(TICKET_TEXTS)
    ]
    for line in _run(client, emulator, rows):
        message = line["result"]["message"]
        calls = [b for b in message["content"] if b["type"] == "tool_use" and b["name"] == "Ticket"]
        assert len(calls) == 1 and message["stop_reason"] == "tool_use"
        check(calls[0]["input"], schema)
        Ticket.model_validate(calls[0]["input"])


def test_batchata_style_json_mode_parses_into_the_model(client: anthropic.Anthropic, emulator: Emulator) -> None:
    schema = Ticket.model_json_schema()
    rows = [
        request(
            f"bata-{i}",
            text,
            model="claude-haiku-4-5",
            max_tokens=1024,
            output_config={"format": {"type": "json_schema", "schema": schema}},
        )
        for i, text in enumerate(TICKET_TEXTS)
    ]
    for line in _run(client, emulator, rows):
        texts = [b["text"] for b in line["result"]["message"]["content"] if b["type"] == "text"]
        assert len(texts) == 1
        check(json.loads(texts[0]), schema)
        Ticket.model_validate_json(texts[0])
