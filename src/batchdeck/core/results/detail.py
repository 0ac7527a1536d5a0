"""One result line made readable: its content blocks, stop reason, usage and cost, or the full error.

Plain data for any front end: the TUI renders it with colour, tests read it directly.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from batchdeck.core.store.result_repo import ResultRow


@dataclass(frozen=True)
class Block:
    kind: str  # text | tool_use | thinking | redacted_thinking | other
    title: str
    body: str


@dataclass(frozen=True)
class ResultDetail:
    custom_id: str
    outcome: str
    facts: list[tuple[str, str]] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)
    error: str | None = None  # the whole error object, pretty JSON

    @property
    def text(self) -> str:
        """What `Y` copies: the text blocks, or the error."""
        joined = "\n".join(b.body for b in self.blocks if b.kind == "text")
        return joined or self.error or ""


def result_detail(line: bytes, row: ResultRow) -> ResultDetail:
    """The detail of one raw line as kept on disk (falls back to the index row if the line is unreadable)."""
    try:
        result = json.loads(line)["result"]
    except (ValueError, KeyError, TypeError):
        return ResultDetail(row.custom_id, row.outcome, [("line", "unreadable in the local copy")])
    facts = [("outcome", row.outcome)]
    if row.outcome == "succeeded":
        message = result.get("message") or {}
        usage = message.get("usage") or {}
        facts += [
            ("model", str(message.get("model") or "-")),
            ("stop reason", str(message.get("stop_reason") or "-")),
            ("tokens", _tokens(row, usage)),
            (
                "cost",
                "unknown price for this model" if row.cost_usd is None else f"${row.cost_usd:.6f} at batch prices",
            ),
        ]
        if message.get("id"):
            facts.append(("message id", str(message["id"])))
        return ResultDetail(row.custom_id, row.outcome, facts, [_block(b) for b in message.get("content") or []])
    if row.outcome == "errored":
        facts += [("error type", row.error_type or "-"), ("message", row.error_message or "-")]
        return ResultDetail(row.custom_id, row.outcome, facts, error=json.dumps(result.get("error"), indent=2))
    why = {
        "canceled": "the batch was canceled before this request ran",
        "expired": "the batch reached its 24-hour limit before this request ran",
    }
    facts.append(("why", why.get(row.outcome, "-")))
    return ResultDetail(row.custom_id, row.outcome, facts)


def _tokens(row: ResultRow, usage: dict[str, Any]) -> str:
    text = f"{row.input_tokens:,} in · {row.output_tokens:,} out"
    if row.cache_write_tokens or row.cache_read_tokens:
        text += f" · {row.cache_write_tokens:,} cache write · {row.cache_read_tokens:,} cache read"
    tier = usage.get("service_tier")
    return text + (f" · {tier} tier" if tier else "")


def _block(block: Any) -> Block:
    if not isinstance(block, dict):
        return Block("other", "block", json.dumps(block))
    kind = block.get("type")
    if kind == "text":
        return Block("text", "text", str(block.get("text", "")))
    if kind == "tool_use":
        return Block(
            "tool_use",
            f"tool_use {block.get('name', '?')}",
            json.dumps(block.get("input"), indent=2, ensure_ascii=False),
        )
    if kind == "thinking":
        return Block("thinking", "thinking", str(block.get("thinking", "")))
    if kind == "redacted_thinking":
        return Block("redacted_thinking", "redacted thinking", "(encrypted by the API; not readable)")
    return Block("other", str(kind), json.dumps(block, indent=2, ensure_ascii=False))
