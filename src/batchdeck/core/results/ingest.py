"""Parsing a results body into index rows: bytes in, one row per result line out, nothing else.

No network, no files, no database: `LineIndexer` cuts a stream of chunks into lines (wherever the
chunks break), parses each line once (`json_line`) and gives its index row (custom_id, outcome,
error, stop_reason, model, tokens, and where the line sits in the body; `publish` prices it); `ingest` drives it over a stream and
hands the rows on in batches of FLUSH_ROWS, so memory stays flat whatever the size. A line that
does not parse, or is longer than LINE_MAX (never held in memory), is counted as malformed with
its line number; a body that ends inside such a line was cut.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from batchdeck.core.results.json_line import parse_line
from batchdeck.core.spend.pricing import usage_counts

FLUSH_ROWS = 5_000
MALFORMED_KEPT = 50
# A result line is the model's answer in JSON: 128k output tokens at ~4 bytes a token, escaped,
# is about 1-2 MB, so 8 MiB is generous.
LINE_MAX = 8 << 20

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
    cut: bool = False  # the body ended inside a line that does not parse (it counts as no result)

    def summary(self) -> str:
        parts = ", ".join(f"{n:,} {k}" for k, n in sorted(self.outcomes.items()))
        text = f"{self.batch_id}: {self.rows:,} results ({parts}), {self.bytes / 1e6:.1f} MB in {self.seconds:.1f}s"
        if self.malformed:
            text += f"; {self.malformed} malformed line(s), first at line {self.malformed_lines[0]}"
        return text


def index_row(obj: dict[str, Any], offset: int, length: int) -> tuple[Any, ...]:
    """The staged row of one result line (see `result_repo.STAGE_COLUMNS`): its cost is `publish`'s."""
    custom_id = obj["custom_id"]
    result = obj["result"]
    outcome = result["type"]
    if not isinstance(custom_id, str) or not isinstance(outcome, str):
        raise ValueError("custom_id and result.type must be strings")
    if outcome == "succeeded":
        message = result.get("message") or {}
        model = message.get("model")
        if type(model) is not str and model is not None:
            raise TypeError("model must be a string")  # a malformed line, as it was when priced here
        counts = usage_counts(message.get("usage") or {})
        return (
            custom_id,
            outcome,
            None,
            None,
            message.get("stop_reason"),
            model,
            counts[0],
            counts[1],
            counts[2],
            counts[3],
            counts[4],
            offset,
            length,
        )
    error_type = error_message = None
    if outcome == "errored":
        envelope = result.get("error") or {}
        nested = envelope.get("error")
        inner = nested if isinstance(nested, dict) else envelope
        error_type, error_message = inner.get("type"), inner.get("message")
    return (custom_id, outcome, error_type, error_message, None, None, 0, 0, 0, 0, 0, offset, length)


class LineIndexer:
    """Cuts a byte stream into lines and turns each into an index row, remembering offsets.

    Linear in the body's size: each chunk is split once, and a line's pieces are joined once
    at its end. A line longer than `line_max` is dropped as it arrives (a malformed line).
    """

    def __init__(self, report: IngestReport, line_max: int = LINE_MAX) -> None:
        self.report = report
        self.line_max = line_max
        self.parts: list[bytes] = []  # the pieces of the line under way (none once it is too long)
        self.pending = 0  # its size so far
        self.offset = 0  # file offset of the line under way
        self.line_number = 0
        self.cut = False  # the body ended inside a line that does not parse

    def feed(self, chunk: bytes) -> list[tuple[Any, ...]]:
        """The rows of the lines this chunk ends (the rest of the chunk waits for the next)."""
        lines = chunk.split(b"\n")
        rest = lines.pop()
        rows: list[tuple[Any, ...]] = []
        if lines and self.pending:  # the first line began in an earlier chunk
            self._keep(lines[0])
            lines[0] = self._take()
            self._index(lines, rows, self.pending + 1)
            self.pending = 0
        elif lines:
            self._index(lines, rows, len(lines[0]) + 1)
        if rest:
            self._keep(rest)
        return rows

    def finish(self) -> list[tuple[Any, ...]]:
        """The last line, when the body does not end with a newline."""
        rows: list[tuple[Any, ...]] = []
        if self.pending:
            malformed = self.report.malformed
            self._index([self._take()], rows, self.pending)
            self.pending = 0
            self.cut = self.report.malformed > malformed
        return rows

    def _keep(self, piece: bytes) -> None:
        self.pending += len(piece)
        if self.pending > self.line_max:
            self.parts.clear()
        else:
            self.parts.append(piece)

    def _take(self) -> bytes:
        """The line under way, joined (empty when it grew too long: its size says so)."""
        raw = b"".join(self.parts)
        self.parts.clear()
        return raw

    def _index(self, lines: list[bytes], rows: list[tuple[Any, ...]], first_size: int) -> None:
        """Index whole lines, appending their rows; `first_size` is the first one's size in the body
        (with its newline), which says it was too long when its pieces were dropped."""
        line_max, report = self.line_max, self.report
        offset, number, found = self.offset, self.line_number, len(rows)
        for raw in lines:
            number += 1
            size, first_size = (first_size, 0) if first_size else (len(raw) + 1, 0)
            try:
                if size > line_max:
                    raise ValueError("line too long")
                if raw[:1] == b"{" or raw.strip():
                    rows.append(index_row(parse_line(raw), offset, size))
            except (ValueError, KeyError, TypeError, AttributeError, RecursionError, OverflowError):
                report.malformed += 1
                if len(report.malformed_lines) < MALFORMED_KEPT:
                    report.malformed_lines.append(number)
            offset += size
        report.rows += len(rows) - found
        self.offset, self.line_number = offset, number


def ingest(
    chunks: Iterable[bytes],
    indexer: LineIndexer,
    add: Callable[[list[tuple[Any, ...]]], None],
    progress: Progress | None = None,
) -> None:
    """Index every line of `chunks`, handing the rows to `add` every FLUSH_ROWS rows (and the rest at the end).

    `add` is where the rows go (`ResultRepo.add`, which stages them; a list's `extend` in a test)."""
    report = indexer.report
    buffer: list[tuple[Any, ...]] = []
    for chunk in chunks:
        report.bytes += len(chunk)
        buffer.extend(indexer.feed(chunk))
        if len(buffer) >= FLUSH_ROWS:
            add(buffer)
            buffer = []
            if progress:
                progress(report.bytes, report.rows)
    buffer.extend(indexer.finish())
    report.cut = indexer.cut
    add(buffer)
    if progress:
        progress(report.bytes, report.rows)
