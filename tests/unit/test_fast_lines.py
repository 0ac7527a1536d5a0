"""The fast line path (`core.results.json_line.parse_line`, `usage_counts`) gives exactly
what `json.loads` and the `Usage` path give: the same objects, the same errors, the same staged rows (their
cost is `publish`'s, held equal to `batch_cost` in tests/core/test_result_staging.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from batchdeck.core.results.ingest import IngestReport, LineIndexer, ingest
from batchdeck.core.results.json_line import parse_line
from batchdeck.core.spend.pricing import Usage, usage_counts

# Lines as bytes, each meant to stress one way the fast path could part from json.loads.
TRICKY_PARSE = [
    b'{"custom_id":"a\\"b\\\\c","result":{"type":"canceled"}}',  # escaped quote and backslash
    '{"custom_id":"caf\u00e9 \u65e5\u672c \U0001f600","result":{"type":"expired"}}'.encode(),  # raw UTF-8
    b'{"custom_id":"\\u00e9\\ud83d\\ude00","result":{"type":"expired"}}',  # \u escapes, a surrogate pair
    b'{"custom_id":"\\ud800","result":{"type":"expired"}}',  # a lone surrogate, escaped
    b'{"custom_id":"\xed\xa0\x80","result":{"type":"expired"}}',  # a lone surrogate, encoded (surrogatepass)
    b'\xef\xbb\xbf{"custom_id":"bom","result":{"type":"expired"}}',  # a UTF-8 BOM
    '{"custom_id":"utf16","result":{"type":"expired"}}'.encode("utf-16-le"),  # json.loads guesses UTF-16
    b' {"custom_id":"lead","result":{"type":"expired"}}',  # leading whitespace
    b'{"custom_id":"trail","result":{"type":"expired"}} \t\r',  # trailing JSON whitespace
    b'{"custom_id":"crlf","result":{"type":"expired"}}\r',  # a CRLF body
    b'{"custom_id":"vt","result":{"type":"expired"}}\x0b',  # whitespace to str.isspace, not to JSON
    b'{"custom_id":"extra","result":{"type":"expired"}}{}',  # trailing data
    b'{"custom_id":"dup","custom_id":"last","result":{"type":"expired"}}',  # a repeated key: the last wins
    b'{"n":NaN,"big":123456789012345678901234567890,"f":1e400}',  # constants, big ints, overflow
    b'{"custom_id":"ctl\x01","result":{}}',  # a raw control character in a string
    b'{"custom_id":"cut',  # cut short
    b"{\x00\x00\x00",  # NULs where json.loads guesses an encoding
    b"[1, 2]",  # not an object
    b'"just a string"',
    b"",
    b"\xff\xfe",  # not UTF-8 at all
    b"{" * 5 + b"}" * 5,
]


def outcome(call: Any, raw: bytes) -> tuple[str, Any]:
    try:
        return "value", call(raw)
    except (ValueError, RecursionError) as exc:
        return "error", type(exc)


@pytest.mark.parametrize("raw", TRICKY_PARSE, ids=range(len(TRICKY_PARSE)))
def test_parse_line_answers_as_json_loads(raw: bytes) -> None:
    (kind, expected), (found_kind, found) = outcome(json.loads, raw), outcome(parse_line, raw)
    assert found_kind == kind
    if kind == "value":  # compared as text: NaN is not equal to itself
        assert json.dumps(found) == json.dumps(expected) and type(found) is type(expected)
    else:
        assert found is expected  # the same exception class


def test_parse_line_refuses_nesting_as_json_loads_does() -> None:
    deep = b'{"a":' * 100_000 + b"1" + b"}" * 100_000
    with pytest.raises(RecursionError):
        json.loads(deep)
    with pytest.raises(RecursionError):
        parse_line(deep)


def succeeded(custom_id: str, model: str | None = "claude-haiku-4-5", **message: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [{"type": "text", "text": 'says "usage": {"input_tokens": 9} and "model": "x"\n'}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": 1200, "output_tokens": 345},
    }
    body.update(message)
    return {"custom_id": custom_id, "result": {"type": "succeeded", "message": body}}


CACHE_USAGE = {
    "input_tokens": 10,
    "output_tokens": 20,
    "cache_creation_input_tokens": 1000,
    "cache_read_input_tokens": 77,
    "cache_creation": {"ephemeral_5m_input_tokens": 700, "ephemeral_1h_input_tokens": 300},
    "service_tier": "batch",
}
TRICKY_ROWS: list[dict[str, Any]] = [
    succeeded('quote"d \\ back'),
    succeeded("unicode caf\u00e9 \U0001f600 \u202e"),
    succeeded("dated", "claude-sonnet-4-6-20250929"),
    succeeded("cached", "claude-opus-4-1", usage=CACHE_USAGE),
    succeeded("old usage", usage={"input_tokens": 5, "output_tokens": 6, "cache_creation": None}),
    succeeded("no usage", usage=None),
    succeeded("usage missing", "claude-custom-1", usage={}),
    succeeded("unknown model", "claude-unheard-of"),
    succeeded("no model", None),
    succeeded("tool input with the same keys", content=[{"type": "tool_use", "input": {"model": "m", "usage": {}}}]),
    {
        "custom_id": "err",
        "result": {"type": "errored", "error": {"type": "error", "error": {"type": "x", "message": "m"}}},
    },
    {"custom_id": "err flat", "result": {"type": "errored", "error": {"type": "invalid_request_error"}}},
    {"custom_id": "err null", "result": {"type": "errored", "error": None}},
    {"custom_id": "gone", "result": {"type": "expired"}},
    {"custom_id": "stopped", "result": {"type": "canceled"}},
]


def reference_row(obj: dict[str, Any], offset: int, length: int) -> tuple[Any, ...]:
    """The staged row the way it was built before the fast path: a Usage, its fields (the cost is
    `publish`'s, checked against `batch_cost` in tests/core/test_result_staging.py)."""
    result = obj["result"]
    if result["type"] == "succeeded":
        message = result["message"]
        usage = Usage.from_api(message.get("usage") or {})
        tokens = (usage.input, usage.output, usage.cache_write_5m, usage.cache_write_1h, usage.cache_read)
        return (
            obj["custom_id"],
            "succeeded",
            None,
            None,
            message["stop_reason"],
            message["model"],
            *tokens,
            offset,
            length,
        )
    error = result.get("error") or {}
    inner = error.get("error") if isinstance(error.get("error"), dict) else error
    return (
        obj["custom_id"],
        result["type"],
        inner.get("type"),
        inner.get("message"),
        None,
        None,
        0,
        0,
        0,
        0,
        0,
        offset,
        length,
    )


@pytest.mark.parametrize("ensure_ascii", [True, False])
def test_rows_match_full_parsing_on_tricky_lines(ensure_ascii: bool) -> None:
    lines = [json.dumps(o, ensure_ascii=ensure_ascii, separators=(",", ":")).encode() + b"\n" for o in TRICKY_ROWS]
    body = b"".join(lines)
    report = IngestReport("msgbatch_x", Path("x"))
    rows: list[tuple[Any, ...]] = []
    ingest([body[i : i + 97] for i in range(0, len(body), 97)], LineIndexer(report), rows.extend)
    expected, offset = [], 0
    for line in lines:
        expected.append(reference_row(json.loads(line), offset, len(line)))
        offset += len(line)
    assert rows == expected
    assert report.rows == len(TRICKY_ROWS) and report.malformed == 0


def test_usage_counts_are_usage() -> None:
    for usage in (CACHE_USAGE, {}, {"input_tokens": "12", "output_tokens": 3.9, "cache_creation_input_tokens": 2}):
        assert Usage(*usage_counts(usage)) == Usage.from_api(usage)
    assert usage_counts(CACHE_USAGE) == (10, 20, 700, 300, 77)


def reference_usage_counts(usage: dict[str, Any]) -> tuple[int, ...]:
    """`usage_counts` as first written: `int(value or 0)` of each field, the 5-minute writes never below 0."""
    creation = usage.get("cache_creation") or {}
    write_total = int(usage.get("cache_creation_input_tokens") or 0)
    one_hour = int(creation.get("ephemeral_1h_input_tokens") or 0)
    return (
        int(usage.get("input_tokens") or 0),
        int(usage.get("output_tokens") or 0),
        max(0, write_total - one_hour),
        one_hour,
        int(usage.get("cache_read_input_tokens") or 0),
    )


ODD_COUNTS: list[Any] = [None, 0, 1, -5, 2**70, True, False, 3.9, -0.5, 0.0, "12", "", " 7 ", "x", [], [1], {}, 1e400]


@pytest.mark.parametrize("value", ODD_COUNTS)
@pytest.mark.parametrize(
    "field",
    [
        "input_tokens",
        "output_tokens",
        "cache_creation_input_tokens",
        "cache_read_input_tokens",
        "ephemeral_1h_input_tokens",
        "cache_creation",
    ],
)
def test_usage_counts_reads_any_value_as_int_of_value_or_0(field: str, value: Any) -> None:
    """The fast reading (an `int` taken as it is) gives the first reading's answer, or its error, for any value."""
    usage: dict[str, Any] = dict(CACHE_USAGE)
    if field == "ephemeral_1h_input_tokens":
        usage["cache_creation"] = {**CACHE_USAGE["cache_creation"], field: value}
    else:
        usage[field] = value
    try:
        expected: Any = reference_usage_counts(usage)
    except Exception as exc:  # the line is malformed either way, with the same error
        expected = type(exc)
    try:
        found: Any = usage_counts(usage)
    except Exception as exc:
        found = type(exc)
    assert found == expected
    if isinstance(expected, tuple):
        assert [type(n) for n in found] == [int] * 5
