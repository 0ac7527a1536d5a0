"""Downloading a batch's results once and keeping them: the raw JSONL byte for byte, plus an index.

The body streams to a temp file of this process's own next to `<data>/results/<profile>/<batch>.jsonl`;
each complete line is parsed as it passes and its index row (custom_id, outcome, error,
stop_reason, model, tokens, cost, and where the line sits in the file) goes to SQLite in
batches of a few thousand, so memory stays flat whatever the size. Only when the body is whole
and holds a line for every request the batch counts does the file get its final name and the
set its `complete` mark; so a file under its final name is complete, and a cache that lost its
index (a rebuild, a failed re-download) gets it back from the file. A malformed line is counted
with its line number.

One download of a batch at a time: a lock file per batch (`flock`, released by the kernel if
the process dies) covers the whole download, and a process that waited for it uses what the
other one saved. A hostile or broken server is bounded (see `BodyLimits`): a line longer than
LINE_MAX is a malformed line and is never held in memory, the body may not outgrow LINE_MAX
per request (nor hold more than EXTRA_LINES lines beyond one per request), and it must arrive
at MIN_RATE on average after a grace of DEADLINE_GRACE seconds.
"""

from __future__ import annotations

import fcntl
import json
import os
import secrets
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from batchdeck.core.clock import utcnow
from batchdeck.core.config.paths import private_dir
from batchdeck.core.errors import ApiFailure, BatchdeckError
from batchdeck.core.ids import check_batch_id, inside, is_batch_id
from batchdeck.core.spend.pricing import BATCH_DISCOUNT, PriceBook, Usage
from batchdeck.core.store.db import Database
from batchdeck.core.store.result_repo import ResultSet, ResultsIndex
from batchdeck.core.timefmt import iso
from batchdeck.core.workspace import Workspace

FLUSH_ROWS = 5_000
MALFORMED_KEPT = 50
# Bounds for a body from a broken or hostile server. A result line is the model's answer in
# JSON: 128k output tokens at ~4 bytes a token, escaped, is about 1-2 MB, so 8 MiB is generous.
LINE_MAX = 8 << 20
BODY_SLACK = 1 << 20  # on top of LINE_MAX per request
EXTRA_LINES = 1_000  # blank, malformed or repeated lines allowed beyond one per request
DEADLINE_GRACE = 60.0  # seconds before the average-rate rule applies
MIN_RATE = 16_000  # bytes a second, on average over the whole download
LOCK_WAIT = 600.0  # seconds to wait for another process's download of the same batch
LOCK_POLL = 0.05

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


@dataclass(frozen=True)
class BodyLimits:
    """What a results body for `expected` requests may be: its size, its line count, its pace."""

    expected: int
    started: float

    @property
    def max_bytes(self) -> int:
        return self.expected * LINE_MAX + BODY_SLACK

    @property
    def max_lines(self) -> int:
        return self.expected + EXTRA_LINES

    def check(self, batch_id: str, size: int, lines: int) -> None:
        """An `ApiFailure` (one line) once the body breaks a bound."""
        what = f"the results body of {batch_id}"
        if size > self.max_bytes:
            raise ApiFailure(
                f"{what} grew past {self.max_bytes / 1e6:,.1f} MB for {self.expected:,} requests "
                f"({LINE_MAX >> 20} MiB a result at most); stopped, nothing kept",
                "server",
            )
        if lines > self.max_lines:
            raise ApiFailure(
                f"{what} has more than {self.max_lines:,} lines for {self.expected:,} requests; stopped, nothing kept",
                "server",
            )
        elapsed = time.monotonic() - self.started
        if elapsed > DEADLINE_GRACE + size / MIN_RATE:
            raise ApiFailure(
                f"{what} came too slowly ({size / 1e3:,.1f} kB in {elapsed:.0f} s, under "
                f"{MIN_RATE / 1e3:.0f} kB/s on average); stopped, nothing kept",
                "network",
            )


def results_path(ws: Workspace, batch_id: str) -> Path:
    """`<data>/results/<profile>/<batch_id>.jsonl`, refusing an id that is not of the API's shape."""
    directory = ws.db.path.parent / "results" / ws.profile.name
    return inside(directory, f"{check_batch_id(batch_id)}.jsonl")


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
        return (
            custom_id,
            outcome,
            None,
            None,
            message.get("stop_reason"),
            model,
            usage.input,
            usage.output,
            usage.cache_write_5m + usage.cache_write_1h,
            usage.cache_read,
            prices.batch_cost(model, usage),
            offset,
            length,
        )
    error_type = error_message = None
    if outcome == "errored":
        envelope = result.get("error") or {}
        inner = envelope.get("error") if isinstance(envelope.get("error"), dict) else envelope
        error_type, error_message = inner.get("type"), inner.get("message")
    return (custom_id, outcome, error_type, error_message, None, None, 0, 0, 0, 0, None, offset, length)


class _LineIndexer:
    """Cuts a byte stream into lines and turns each into an index row, remembering offsets.

    Linear in the body's size: each chunk is searched once, and a line's pieces are joined once
    at its end. A line longer than `line_max` is dropped as it arrives (a malformed line).
    """

    def __init__(self, prices: PriceBook, report: IngestReport, line_max: int = LINE_MAX) -> None:
        self.prices = prices
        self.report = report
        self.line_max = line_max
        self.parts: list[bytes] = []  # the pieces of the line under way (none once it is too long)
        self.pending = 0  # its size so far
        self.offset = 0  # file offset of the line under way
        self.line_number = 0
        self.cut = False  # the body ended inside a line that does not parse

    def feed(self, chunk: bytes) -> Iterator[tuple[Any, ...]]:
        start = 0
        while (end := chunk.find(b"\n", start)) != -1:
            yield from self._end(chunk[start : end + 1])
            start = end + 1
        if start < len(chunk):
            self._keep(chunk[start:] if start else chunk)

    def finish(self) -> Iterator[tuple[Any, ...]]:
        """The last line, when the body does not end with a newline."""
        if self.pending:
            malformed = self.report.malformed
            yield from self._end(b"")
            self.cut = self.report.malformed > malformed

    def _keep(self, piece: bytes) -> None:
        self.pending += len(piece)
        if self.pending > self.line_max:
            self.parts.clear()
        else:
            self.parts.append(piece)

    def _end(self, piece: bytes) -> Iterator[tuple[Any, ...]]:
        size = self.pending + len(piece)
        raw: bytes | None = None  # too long: not kept, a malformed line
        if size <= self.line_max:
            raw = b"".join([*self.parts, piece]) if self.parts else piece
        self.parts.clear()
        self.pending = 0
        yield from self._line(raw, size)

    def _line(self, raw: bytes | None, size: int) -> Iterator[tuple[Any, ...]]:
        self.line_number += 1
        offset = self.offset
        self.offset += size
        if raw is not None and not raw.strip():
            return
        try:
            if raw is None:
                raise ValueError("line too long")
            row = index_row(json.loads(raw), self.prices, offset, size)
        except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
            self.report.malformed += 1
            if len(self.report.malformed_lines) < MALFORMED_KEPT:
                self.report.malformed_lines.append(self.line_number)
            return
        self.report.rows += 1
        yield row


@contextmanager
def batch_lock(final: Path, progress: Progress | None = None, wait: float | None = None) -> Iterator[bool]:
    """Hold the download lock of one batch's results; yields whether another process held it first.

    `progress(0, 0)` is called while waiting, so a caller that stops from its progress callback
    (a closing TUI) stops waiting too.
    """
    private_dir(final.parent)
    fd = os.open(final.with_name(f".{final.name}.lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        yield _acquire(fd, final, progress, LOCK_WAIT if wait is None else wait)
    finally:
        os.close(fd)  # releases the lock


def _acquire(fd: int, final: Path, progress: Progress | None, wait: float) -> bool:
    give_up = time.monotonic() + wait
    waited = False
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return waited
        except BlockingIOError:
            waited = True
        if time.monotonic() > give_up:
            raise BatchdeckError(
                f"another batchdeck process has been saving the results of {final.stem} for over "
                f"{wait:.0f} s; try again when it has finished"
            )
        if progress:
            progress(0, 0)
        time.sleep(LOCK_POLL)


def download(
    ws: Workspace, batch_id: str, progress: Progress | None = None, prices: PriceBook | None = None
) -> IngestReport:
    """Download and index one batch's results; on any failure nothing reads as downloaded.

    When another process was saving the same batch meanwhile, its complete copy is the answer.
    """
    final = results_path(ws, batch_id)
    index = ws.results
    with batch_lock(final, progress) as waited:
        saved = index.result_set(batch_id)
        if waited and saved is not None and saved.complete and final.exists():
            return saved_report(index, saved, final)
        return _fetch(ws, batch_id, final, index, prices or ws.prices(), progress)


def _fetch(
    ws: Workspace, batch_id: str, final: Path, index: ResultsIndex, prices: PriceBook, progress: Progress | None
) -> IngestReport:
    """The download itself, under the batch's lock: a temp file of this process's own, renamed when whole."""
    _remove_leftovers(final)
    part = final.with_name(f".{final.name}.{os.getpid()}-{secrets.token_hex(4)}.part")
    report = IngestReport(batch_id, final)
    started = time.monotonic()
    index.begin(batch_id, str(final), ws.now())
    try:
        expected = _stream_to_disk(ws, batch_id, part, index, report, prices, progress)
        _check_complete(report, index, expected)
        os.replace(part, final)
    except BaseException as exc:
        part.unlink(missing_ok=True)
        index.fail(batch_id, str(exc) or type(exc).__name__, ws.now())
        if isinstance(exc, OSError):
            raise BatchdeckError(f"cannot save the results of {batch_id} to {part.parent}: {exc.strerror}") from None
        raise
    report.seconds = time.monotonic() - started
    _finish(index, report, ws.now())
    return report


def _remove_leftovers(final: Path) -> None:
    """Temp files of killed downloads of this batch (only the lock's holder may remove them)."""
    for leftover in final.parent.glob(f".{final.name}.*.part"):
        leftover.unlink(missing_ok=True)
    final.with_name(final.name + ".part").unlink(missing_ok=True)  # the name older versions used


def _check_complete(report: IngestReport, index: ResultsIndex, expected: int) -> None:
    """A body with fewer result lines than the batch's requests was cut short: not complete."""
    lines = sum(index.outcome_counts(report.batch_id).values()) + report.malformed - int(report.cut)
    if lines < expected:
        raise ApiFailure(
            f"the results of {report.batch_id} are incomplete: {lines:,} result lines for "
            f"{expected:,} requests; nothing kept, the next download starts afresh",
            "server",
        )


def _finish(index: ResultsIndex, report: IngestReport, now: str) -> None:
    """Totals from SQLite (outcome counts and costs, summed there rather than per row), and the complete mark."""
    totals = index.totals(report.batch_id)
    report.outcomes, report.cost, report.unpriced = totals.outcomes, totals.cost, totals.unpriced
    report.standard_cost = report.cost / BATCH_DISCOUNT
    index.finish(
        report.batch_id,
        now,
        size=report.bytes,
        rows=report.rows,
        malformed=report.malformed,
        malformed_lines=report.malformed_lines,
        cost=report.cost if report.rows else None,
        standard=report.standard_cost if report.rows else None,
        unpriced=report.unpriced,
    )


def saved_report(index: ResultsIndex, saved: ResultSet, final: Path) -> IngestReport:
    """The report of a complete set already saved (by another process, or before)."""
    totals = index.totals(saved.batch_id)
    return IngestReport(
        saved.batch_id,
        final,
        saved.bytes,
        saved.rows,
        saved.malformed,
        list(saved.malformed_lines),
        totals.outcomes,
        totals.cost,
        totals.cost / BATCH_DISCOUNT,
        totals.unpriced,
    )


def _stream_to_disk(
    ws: Workspace,
    batch_id: str,
    part: Path,
    index: ResultsIndex,
    report: IngestReport,
    prices: PriceBook,
    progress: Progress | None,
) -> int:
    """Write and index the body; the number of requests the batch counts."""
    fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh, ws.api.stream_results(batch_id) as body:
        limits = BodyLimits(body.expected_rows, time.monotonic())
        indexer = _LineIndexer(prices, report)

        def checked() -> Iterator[bytes]:
            for chunk in body:
                limits.check(batch_id, report.bytes + len(chunk), indexer.line_number)
                fh.write(chunk)
                yield chunk

        _ingest(checked(), index, indexer, progress)
        fh.flush()
        os.fsync(fh.fileno())
    return limits.expected


def _ingest(chunks: Iterable[bytes], index: ResultsIndex, indexer: _LineIndexer, progress: Progress | None) -> None:
    """Index every line of `chunks` into the batch's rows, flushing to SQLite every FLUSH_ROWS rows."""
    report = indexer.report
    buffer: list[tuple[Any, ...]] = []
    for chunk in chunks:
        report.bytes += len(chunk)
        buffer.extend(indexer.feed(chunk))
        if len(buffer) >= FLUSH_ROWS:
            index.add(report.batch_id, buffer)
            buffer.clear()
            if progress:
                progress(report.bytes, report.rows)
    buffer.extend(indexer.finish())
    report.cut = indexer.cut
    index.add(report.batch_id, buffer)
    if progress:
        progress(report.bytes, report.rows)


def read_lines(path: Path, spans: list[tuple[int, int]]) -> Iterator[bytes]:
    """Raw lines from the kept file, by (offset, length), exactly as received."""
    with open(path, "rb") as fh:
        for offset, length in spans:
            fh.seek(offset)
            yield fh.read(length)


def _file_chunks(path: Path, size: int = 1 << 16) -> Iterator[bytes]:
    with open(path, "rb") as fh:
        while chunk := fh.read(size):
            yield chunk


def reindex_file(
    db: Database, profile: str, batch_id: str, path: Path, prices: PriceBook, now: str, expected: int | None = None
) -> IngestReport | None:
    """Index a results file kept under its final name (the index lost it); None, and nothing marked
    complete, when it holds fewer result lines than `expected` (when the batch's counts are known)."""
    index = ResultsIndex(db, profile)
    report = IngestReport(batch_id, path)
    started = time.monotonic()
    index.begin(batch_id, str(path), now)
    try:
        _ingest(_file_chunks(path), index, _LineIndexer(prices, report), None)
        if expected is not None:
            _check_complete(report, index, expected)
    except ApiFailure as short:
        index.fail(batch_id, f"the saved copy: {short}", now)
        return None
    except BaseException as exc:
        index.fail(batch_id, str(exc) or type(exc).__name__, now)
        raise
    report.seconds = time.monotonic() - started
    _finish(index, report, now)
    return report


def reindex_saved(db: Database, results_root: Path, prices: PriceBook) -> list[str]:
    """Index every kept results file (`<root>/<profile>/<batch>.jsonl`) whose set is not complete; their ids.

    A file under its final name was complete when written, so it is trusted as it is."""
    found: list[str] = []
    profiles = sorted(p for p in results_root.iterdir() if p.is_dir()) if results_root.is_dir() else []
    for directory in profiles:
        index = ResultsIndex(db, directory.name)
        for path in sorted(directory.glob("msgbatch_*.jsonl")):
            batch_id = path.name.removesuffix(".jsonl")
            if not is_batch_id(batch_id) or _kept(index, batch_id, path):
                continue
            with batch_lock(path):
                if not _kept(index, batch_id, path) and reindex_file(
                    db, directory.name, batch_id, path, prices, iso(utcnow())
                ):
                    found.append(batch_id)
    return found


def _expected_rows(ws: Workspace, batch_id: str) -> int | None:
    """How many results the cached batch counts, when it is cached as ended."""
    batch = ws.batches.get(batch_id)
    return batch.counts.total if batch is not None and batch.processing_status == "ended" else None


def _kept(index: ResultsIndex, batch_id: str, final: Path) -> bool:
    current = index.result_set(batch_id)
    return current is not None and current.complete and final.exists()


def ensure_downloaded(ws: Workspace, batch_id: str, progress: Progress | None = None) -> None:
    """Download unless a complete copy is already kept (indexing a kept file the index lost)."""
    final = results_path(ws, batch_id)
    index = ws.results
    if _kept(index, batch_id, final):
        return
    with batch_lock(final, progress):
        if _kept(index, batch_id, final):
            return
        if final.exists() and reindex_file(
            ws.db, ws.profile.name, batch_id, final, ws.prices(), ws.now(), _expected_rows(ws, batch_id)
        ):
            return
        try:
            _fetch(ws, batch_id, final, index, ws.prices(), progress)
        except ApiFailure as failure:
            if failure.kind == "not_found":
                raise ApiFailure(
                    f"the results of {batch_id} are not available: the batch is gone or its results "
                    "were archived (29 days after creation), and no local copy was kept",
                    "not_found",
                ) from None
            raise
