"""Ingest of a results body (`core.results.ingest`): bytes in, index rows out, with no emulator, file or database."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from batchdeck.core.results import ingest as ingest_mod
from batchdeck.core.results.ingest import FLUSH_ROWS, MALFORMED_KEPT, IngestReport, LineIndexer, index_row, ingest
from batchdeck.core.store.result_repo import STAGE_COLUMNS


def line(custom_id: str, outcome: str = "succeeded", **extra: Any) -> bytes:
    result: dict[str, Any] = {"type": outcome, **extra}
    if outcome == "succeeded" and "message" not in extra:
        result["message"] = {
            "model": "claude-haiku-4-5",
            "stop_reason": "end_turn",
            "content": [{"type": "text", "text": "ok"}],
            "usage": {"input_tokens": 1_000_000, "output_tokens": 2_000_000, "cache_read_input_tokens": 7},
        }
    return json.dumps({"custom_id": custom_id, "result": result}).encode() + b"\n"


def rows_of(chunks: list[bytes], line_max: int = ingest_mod.LINE_MAX) -> tuple[list[tuple[Any, ...]], IngestReport]:
    report = IngestReport("msgbatch_x", Path("x.jsonl"))
    found: list[tuple[Any, ...]] = []
    ingest(chunks, LineIndexer(report, line_max), found.extend)
    return found, report


def as_dicts(rows: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    return [dict(zip(STAGE_COLUMNS, r, strict=True)) for r in rows]


def test_one_row_per_line_with_its_columns_and_place_in_the_body() -> None:
    errored = line("b", "errored", error={"type": "error", "error": {"type": "overloaded_error", "message": "busy"}})
    body = line("a") + errored + line("c", "canceled") + line("d", "expired")
    rows, report = rows_of([body])
    a, b, c, d = as_dicts(rows)
    assert (a["outcome"], a["model"], a["stop_reason"]) == ("succeeded", "claude-haiku-4-5", "end_turn")
    assert (a["input_tokens"], a["output_tokens"], a["cache_read_tokens"]) == (1_000_000, 2_000_000, 7)
    assert (a["cache_write_5m"], a["cache_write_1h"]) == (0, 0)  # priced when published (test_result_staging)
    assert (b["outcome"], b["error_type"], b["error_message"], b["model"]) == (
        "errored",
        "overloaded_error",
        "busy",
        None,
    )
    assert (c["outcome"], d["outcome"]) == ("canceled", "expired")
    offsets = [r["line_offset"] for r in (a, b, c, d)]
    assert offsets == [0, len(line("a")), len(line("a")) + len(errored), len(body) - len(line("d", "expired"))]
    assert all(body[r["line_offset"] : r["line_offset"] + r["line_length"]].startswith(b"{") for r in (a, b, c, d))
    assert (report.rows, report.bytes, report.malformed, report.cut) == (4, len(body), 0, False)


def test_an_error_without_its_envelope_still_gives_its_type() -> None:
    row = index_row({"custom_id": "e", "result": {"type": "errored", "error": {"type": "api_error"}}}, 0, 1)
    assert row[:4] == ("e", "errored", "api_error", None)


@pytest.mark.parametrize("size", [1, 3, 7, 64, 1 << 16])
def test_chunks_may_break_anywhere(size: int) -> None:
    body = b"".join(line(f"row-{i:03d}", "canceled") for i in range(50))
    whole, _ = rows_of([body])
    pieces, report = rows_of([body[i : i + size] for i in range(0, len(body), size)])
    assert pieces == whole and len(whole) == 50 and report.bytes == len(body)


def test_malformed_lines_are_counted_with_their_line_numbers_and_blank_lines_skipped() -> None:
    body = line("a", "canceled") + b"\n" + b"not json\n" + b'{"custom_id": 5, "result": {"type": "x"}}\n' + b"[]\n"
    rows, report = rows_of([body])
    assert [r[0] for r in rows] == ["a"]
    assert (report.malformed, report.malformed_lines, report.rows) == (3, [3, 4, 5], 1)


def test_only_the_first_malformed_line_numbers_are_kept() -> None:
    _, report = rows_of([b"x\n" * (MALFORMED_KEPT + 10)])
    assert report.malformed == MALFORMED_KEPT + 10 and report.malformed_lines == list(range(1, MALFORMED_KEPT + 1))


def test_a_line_over_the_limit_is_malformed_and_its_neighbours_keep_their_offsets() -> None:
    long = line("long", "canceled", padding="z" * 500)
    body = line("a", "canceled") + long + line("b", "canceled")
    rows, report = rows_of([body[i : i + 16] for i in range(0, len(body), 16)], line_max=200)
    assert [r[0] for r in rows] == ["a", "b"] and report.malformed_lines == [2]
    assert rows[1][-2] == len(line("a", "canceled")) + len(long)


def test_a_last_line_without_newline_is_read_and_a_cut_one_is_marked() -> None:
    rows, report = rows_of([line("a", "canceled") + line("b", "canceled").rstrip(b"\n")])
    assert [r[0] for r in rows] == ["a", "b"] and not report.cut
    rows, report = rows_of([line("a", "canceled") + line("b", "canceled")[:20]])
    assert [r[0] for r in rows] == ["a"] and report.cut and report.malformed == 1


def test_rows_are_handed_on_in_batches_with_progress() -> None:
    body = [line(f"r{i:05d}", "canceled") for i in range(2 * FLUSH_ROWS + 1)]
    report = IngestReport("msgbatch_x", Path("x.jsonl"))
    batches: list[int] = []
    progress: list[tuple[int, int]] = []
    ingest(body, LineIndexer(report), lambda rows: batches.append(len(rows)), lambda b, r: progress.append((b, r)))
    assert batches == [FLUSH_ROWS, FLUSH_ROWS, 1]
    assert progress[-1] == (sum(map(len, body)), 2 * FLUSH_ROWS + 1) and len(progress) == 3


def test_the_report_reads_as_one_line() -> None:
    report = IngestReport("msgbatch_x", Path("x"), bytes=2_500_000, rows=3, malformed=1, malformed_lines=[4])
    report.outcomes = {"succeeded": 2, "errored": 1}
    report.seconds = 1.25
    assert report.summary() == (
        "msgbatch_x: 3 results (1 errored, 2 succeeded), 2.5 MB in 1.2s; 1 malformed line(s), first at line 4"
    )
