"""Indexing a results file already kept on disk (the index lost it: a rebuild, a cache from elsewhere).

A file under its final name was complete when it was written, so it is trusted as it is: its lines
are indexed again, under the batch's download lock, and the set marked complete.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

from batchdeck.core.clock import utcnow
from batchdeck.core.errors import ApiFailure
from batchdeck.core.ids import is_batch_id
from batchdeck.core.results.ingest import IngestReport, LineIndexer, ingest
from batchdeck.core.results.lock import batch_lock
from batchdeck.core.results.result_set import check_complete, is_kept, mark_complete
from batchdeck.core.spend.pricing import PriceBook
from batchdeck.core.store.db import Database
from batchdeck.core.store.result_repo import ResultRepo
from batchdeck.core.timefmt import iso


def _file_chunks(path: Path, size: int = 1 << 16) -> Iterator[bytes]:
    with open(path, "rb") as fh:
        while chunk := fh.read(size):
            yield chunk


def reindex_file(
    index: ResultRepo, batch_id: str, path: Path, prices: PriceBook, now: str, expected: int | None = None
) -> IngestReport | None:
    """Index a results file kept under its final name (the index lost it); None, and nothing marked
    complete, when it holds fewer result lines than `expected` (when the batch's counts are known)."""
    report = IngestReport(batch_id, path)
    started = time.monotonic()
    index.begin(batch_id, str(path), now)
    try:
        ingest(_file_chunks(path), LineIndexer(report), lambda rows: index.add(batch_id, rows))
        index.publish(batch_id, prices)
        totals = index.totals(batch_id)
        if expected is not None:
            check_complete(report, totals, expected)
    except ApiFailure as short:
        index.fail(batch_id, f"the saved copy: {short}", now)
        return None
    except BaseException as exc:
        index.fail(batch_id, str(exc) or type(exc).__name__, now)
        raise
    report.seconds = time.monotonic() - started
    mark_complete(index, report, totals, now)
    return report


def reindex_saved(db: Database, results_root: Path, prices: PriceBook) -> list[str]:
    """Index every kept results file (`<root>/<profile>/<batch>.jsonl`) whose set is not complete; their ids.

    A file under its final name was complete when written, so it is trusted as it is."""
    found: list[str] = []
    profiles = sorted(p for p in results_root.iterdir() if p.is_dir()) if results_root.is_dir() else []
    for directory in profiles:
        index = ResultRepo(db, directory.name)
        for path in sorted(directory.glob("msgbatch_*.jsonl")):
            batch_id = path.name.removesuffix(".jsonl")
            if not is_batch_id(batch_id) or is_kept(index, batch_id, path):
                continue
            with batch_lock(path):
                if not is_kept(index, batch_id, path) and reindex_file(index, batch_id, path, prices, iso(utcnow())):
                    found.append(batch_id)
    return found
