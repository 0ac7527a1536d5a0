"""Downloading a batch's results once and keeping them: the raw JSONL byte for byte, plus an index.

The body streams straight to `<data>/results/<profile>/<batch>.jsonl.part`; each complete line
is parsed as it passes and its index row (custom_id, outcome, error, stop_reason, model, tokens,
cost, and where the line sits in the file) goes to SQLite in batches of a few thousand, so
memory stays flat whatever the size. Only when the body is whole does the file get its final
name and the set its `complete` mark. A malformed line is counted with its line number.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from batchdeck.core.errors import ApiFailure, BatchdeckError
from batchdeck.core.paths import private_dir
from batchdeck.core.pricing import BATCH_DISCOUNT, PriceBook, Usage
from batchdeck.core.results_index import ResultsIndex
from batchdeck.core.workspace import Workspace

FLUSH_ROWS = 5_000
MALFORMED_KEPT = 50

Progress = Callable[[int, int], None]  # (bytes so far, rows so far)


@dataclass
class IngestReport:
    batch_id: str
    path: Path
    bytes: int = 0
    rows: int = 0
    malformed: int = 0
    malformed_lines: list[int] = field(default_factory=list)
    outcomes: dict[str, int] = field(default_factory=dict)
    cost: float = 0.0
    standard_cost: float = 0.0
    unpriced: int = 0
    seconds: float = 0.0

    def summary(self) -> str:
        parts = ", ".join(f"{n:,} {k}" for k, n in sorted(self.outcomes.items()))
        text = f"{self.batch_id}: {self.rows:,} results ({parts}), {self.bytes / 1e6:.1f} MB in {self.seconds:.1f}s"
        if self.malformed:
            text += f"; {self.malformed} malformed line(s), first at line {self.malformed_lines[0]}"
        return text


def results_path(ws: Workspace, batch_id: str) -> Path:
    return ws.db.path.parent / "results" / ws.profile.name / f"{batch_id}.jsonl"


def index_row(obj: dict[str, Any], prices: PriceBook, offset: int, length: int) -> tuple[Any, ...]:
    """The index columns of one result line (see results_index.ROW_COLUMNS)."""
    custom_id = obj["custom_id"]
    result = obj["result"]
    outcome = result["type"]
    if not isinstance(custom_id, str) or not isinstance(outcome, str):
        raise ValueError("custom_id and result.type must be strings")
    if outcome == "succeeded":
        message = result.get("message") or {}
        model = message.get("model")
        usage = Usage.from_api(message.get("usage") or {})
        return (custom_id, outcome, None, None, message.get("stop_reason"), model, usage.input, usage.output,
                usage.cache_write_5m + usage.cache_write_1h, usage.cache_read, prices.batch_cost(model, usage),
                offset, length)
    error_type = error_message = None
    if outcome == "errored":
        envelope = result.get("error") or {}
        inner = envelope.get("error") if isinstance(envelope.get("error"), dict) else envelope
        error_type, error_message = inner.get("type"), inner.get("message")
    return (custom_id, outcome, error_type, error_message, None, None, 0, 0, 0, 0, None, offset, length)


class _LineIndexer:
    """Cuts a byte stream into lines and turns each into an index row, remembering offsets."""

    def __init__(self, prices: PriceBook, report: IngestReport) -> None:
        self.prices = prices
        self.report = report
        self.pending = b""
        self.offset = 0  # file offset of `pending`'s first byte
        self.line_number = 0

    def feed(self, chunk: bytes) -> Iterator[tuple[Any, ...]]:
        data = self.pending + chunk
        start = 0
        while (end := data.find(b"\n", start)) != -1:
            yield from self._line(data[start:end + 1])
            start = end + 1
        self.pending = data[start:]

    def finish(self) -> Iterator[tuple[Any, ...]]:
        """The last line, when the body does not end with a newline."""
        if self.pending:
            yield from self._line(self.pending)
            self.pending = b""

    def _line(self, raw: bytes) -> Iterator[tuple[Any, ...]]:
        self.line_number += 1
        offset = self.offset
        self.offset += len(raw)
        if not raw.strip():
            return
        try:
            row = index_row(json.loads(raw), self.prices, offset, len(raw))
        except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
            self.report.malformed += 1
            if len(self.report.malformed_lines) < MALFORMED_KEPT:
                self.report.malformed_lines.append(self.line_number)
            return
        self.report.rows += 1
        yield row


def download(ws: Workspace, batch_id: str, progress: Progress | None = None,
             prices: PriceBook | None = None) -> IngestReport:
    """Download and index one batch's results; on any failure nothing reads as downloaded."""
    final = results_path(ws, batch_id)
    private_dir(final.parent)
    part = final.with_name(final.name + ".part")
    index = ResultsIndex(ws.db, ws.profile.name)
    report = IngestReport(batch_id, final)
    started = time.monotonic()
    index.begin(batch_id, str(final), ws.now())
    try:
        _stream_to_disk(ws, batch_id, part, index, report, prices or ws.prices(), progress)
        os.replace(part, final)
    except BaseException as exc:
        part.unlink(missing_ok=True)
        index.fail(batch_id, str(exc) or type(exc).__name__, ws.now())
        if isinstance(exc, OSError):
            raise BatchdeckError(f"cannot save the results of {batch_id} to {part.parent}: {exc.strerror}") from None
        raise
    report.seconds = time.monotonic() - started
    totals = index.totals(batch_id)  # outcome counts and costs, summed by SQLite rather than per row
    report.outcomes, report.cost, report.unpriced = totals.outcomes, totals.cost, totals.unpriced
    report.standard_cost = report.cost / BATCH_DISCOUNT
    index.finish(batch_id, ws.now(), size=report.bytes, rows=report.rows, malformed=report.malformed,
                 malformed_lines=report.malformed_lines, cost=report.cost if report.rows else None,
                 standard=report.standard_cost if report.rows else None, unpriced=report.unpriced)
    return report


def _stream_to_disk(ws: Workspace, batch_id: str, part: Path, index: ResultsIndex, report: IngestReport,
                    prices: PriceBook, progress: Progress | None) -> None:
    indexer = _LineIndexer(prices, report)
    buffer: list[tuple[Any, ...]] = []
    fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh, ws.api.stream_results(batch_id) as chunks:
        for chunk in chunks:
            fh.write(chunk)
            report.bytes += len(chunk)
            buffer.extend(indexer.feed(chunk))
            if len(buffer) >= FLUSH_ROWS:
                index.add(batch_id, buffer)
                buffer.clear()
                if progress:
                    progress(report.bytes, report.rows)
        buffer.extend(indexer.finish())
        index.add(batch_id, buffer)
        fh.flush()
        os.fsync(fh.fileno())
    if progress:
        progress(report.bytes, report.rows)


def read_lines(path: Path, spans: list[tuple[int, int]]) -> Iterator[bytes]:
    """Raw lines from the kept file, by (offset, length), exactly as received."""
    with open(path, "rb") as fh:
        for offset, length in spans:
            fh.seek(offset)
            yield fh.read(length)


def ensure_downloaded(ws: Workspace, batch_id: str, progress: Progress | None = None) -> None:
    """Download unless a complete copy is already kept."""
    current = ResultsIndex(ws.db, ws.profile.name).result_set(batch_id)
    if current is not None and current.complete and current.path and Path(current.path).exists():
        return
    try:
        download(ws, batch_id, progress)
    except ApiFailure as failure:
        if failure.kind == "not_found":
            raise ApiFailure(f"the results of {batch_id} are not available: the batch is gone or its results "
                             "were archived (29 days after creation), and no local copy was kept", "not_found") from None
        raise
