"""Downloading a batch's results once and keeping them: the raw JSONL byte for byte, plus an index.

The body streams to a temp file of this process's own next to `<data>/results/<profile>/<batch>.jsonl`
while `ingest` parses each complete line into its index row; rows are staged in batches of a few
thousand and published into the index in one transaction once the body is read, while the file's
fsync runs in a thread (`background_fsync`). Only when the body is whole, flushed to disk and holds a
line for every request the batch counts does the file get its final name and the set its `complete`
mark; so a file under its final name is complete, and a cache that lost its index (a rebuild, a
failed re-download) gets it back from the file (`reindex`).

One download of a batch at a time (`lock.batch_lock`). A hostile or broken server is bounded (see
`BodyLimits`): a line longer than LINE_MAX is a malformed line and is never held in memory, the
body may not outgrow LINE_MAX per request (nor hold more than EXTRA_LINES lines beyond one per
request), and it must arrive at MIN_RATE on average after a grace of DEADLINE_GRACE seconds.
"""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from batchdeck.core.errors import ApiFailure, BatchdeckError
from batchdeck.core.ids import check_batch_id, inside
from batchdeck.core.results.background_fsync import BackgroundFsync
from batchdeck.core.results.ingest import LINE_MAX, IngestReport, LineIndexer, Progress, ingest
from batchdeck.core.results.lock import batch_lock
from batchdeck.core.results.reindex import reindex_file
from batchdeck.core.results.result_set import check_complete, is_kept, mark_complete, saved_report
from batchdeck.core.spend.pricing import PriceBook
from batchdeck.core.store.result_repo import ResultRepo
from batchdeck.core.workspace import Workspace

# Bounds for a body from a broken or hostile server (LINE_MAX, the longest line kept, is ingest's).
BODY_SLACK = 1 << 20  # on top of LINE_MAX per request
EXTRA_LINES = 1_000  # blank, malformed or repeated lines allowed beyond one per request
DEADLINE_GRACE = 60.0  # seconds before the average-rate rule applies
MIN_RATE = 16_000  # bytes a second, on average over the whole download


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
    ws: Workspace, batch_id: str, final: Path, index: ResultRepo, prices: PriceBook, progress: Progress | None
) -> IngestReport:
    """The download itself, under the batch's lock: a temp file of this process's own, renamed when whole."""
    _remove_leftovers(final)
    part = final.with_name(f".{final.name}.{os.getpid()}-{secrets.token_hex(4)}.part")
    report = IngestReport(batch_id, final)
    started = time.monotonic()
    index.begin(batch_id, str(final), ws.now())
    try:
        fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            expected = _stream_to_disk(ws, batch_id, fh, index, report, progress)
            fh.flush()
            synced = BackgroundFsync(fh.fileno())  # the disk flushes while the rows are published
            try:
                index.publish(batch_id, prices)
                totals = index.totals(batch_id)
            finally:
                synced.wait()
        check_complete(report, totals, expected)
        os.replace(part, final)
    except BaseException as exc:
        part.unlink(missing_ok=True)
        index.fail(batch_id, str(exc) or type(exc).__name__, ws.now())
        if isinstance(exc, OSError):
            raise BatchdeckError(f"cannot save the results of {batch_id} to {part.parent}: {exc.strerror}") from None
        raise
    report.seconds = time.monotonic() - started
    mark_complete(index, report, totals, ws.now())
    return report


def _remove_leftovers(final: Path) -> None:
    """Temp files of killed downloads of this batch (only the lock's holder may remove them)."""
    for leftover in final.parent.glob(f".{final.name}.*.part"):
        leftover.unlink(missing_ok=True)
    final.with_name(final.name + ".part").unlink(missing_ok=True)  # the name older versions used


def _stream_to_disk(
    ws: Workspace,
    batch_id: str,
    fh: BinaryIO,
    index: ResultRepo,
    report: IngestReport,
    progress: Progress | None,
) -> int:
    """Write the body to `fh` and stage its rows; the number of requests the batch counts."""
    with ws.api.stream_results(batch_id) as body:
        limits = BodyLimits(body.expected_rows, time.monotonic())
        indexer = LineIndexer(report)

        def checked() -> Iterator[bytes]:
            for chunk in body:
                limits.check(batch_id, report.bytes + len(chunk), indexer.line_number)
                fh.write(chunk)
                yield chunk

        ingest(checked(), indexer, lambda rows: index.add(batch_id, rows), progress)
    return limits.expected


def read_lines(path: Path, spans: list[tuple[int, int]]) -> Iterator[bytes]:
    """Raw lines from the kept file, by (offset, length), exactly as received."""
    with open(path, "rb") as fh:
        for offset, length in spans:
            fh.seek(offset)
            yield fh.read(length)


def _expected_rows(ws: Workspace, batch_id: str) -> int | None:
    """How many results the cached batch counts, when it is cached as ended."""
    batch = ws.batches.get(batch_id)
    return batch.counts.total if batch is not None and batch.processing_status == "ended" else None


def ensure_downloaded(ws: Workspace, batch_id: str, progress: Progress | None = None) -> None:
    """Download unless a complete copy is already kept (indexing a kept file the index lost)."""
    final = results_path(ws, batch_id)
    index = ws.results
    if is_kept(index, batch_id, final):
        return
    with batch_lock(final, progress):
        if is_kept(index, batch_id, final):
            return
        if final.exists() and reindex_file(index, batch_id, final, ws.prices(), ws.now(), _expected_rows(ws, batch_id)):
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
