"""Exporting result rows from the results screen: file names, the rows to offer, and the export itself
(run in the screen's thread worker, reporting progress through a callback)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from batchdeck.core.batches.phrases import counted
from batchdeck.core.errors import BatchdeckError
from batchdeck.core.results.browse import ResultsBrowser
from batchdeck.core.results.export import export
from batchdeck.core.session import Session
from batchdeck.tui.messages import ExportFinished

PROGRESS_SECONDS = 0.1


def export_stem(batch_id: str, subset: str, view: str) -> str:
    """The file name (without extension) for these rows: `<id>`, `<id>-marked`, or `<id>-<filter>`."""
    if subset == "marked":
        return f"{batch_id}-marked"
    return batch_id if subset == "all" else f"{batch_id}-{view}".removesuffix("-all")


def export_subsets(shown: int, everything: int, marked: int) -> dict[str, str]:
    """The rows the dialog offers, each with its count (the marked rows first, when there are some)."""
    subsets = {"view": f"the rows shown ({shown:,})", "all": f"every result ({everything:,})"}
    return {"marked": f"the marked rows ({marked:,})", **subsets} if marked else subsets


def throttled(report: Callable[[int], None]) -> Callable[[int], None]:
    """An export's progress callback that passes a count on at most every PROGRESS_SECONDS."""
    last = 0.0

    def progress(done: int) -> None:
        nonlocal last
        now = time.monotonic()
        if now - last >= PROGRESS_SECONDS:
            last = now
            report(done)

    return progress


def export_rows(
    session: Session,
    batch_id: str,
    browser: ResultsBrowser,
    source: Path,
    job: tuple[str, str, Path, bool],
    marked: list[str] | None,
    progress: Callable[[int, int], None],
) -> ExportFinished:
    """Write the rows (`job`: format, subset, target, replace) and say where they went, or why not.
    `subset == "all"` reads every row through a browser of its own (the screen's is filtered)."""
    fmt, subset, target, replace = job
    try:
        if subset == "all":
            reader = ResultsBrowser(session.db_path, session.profile.name, batch_id)
            try:
                rows = reader.all_rows()
            finally:
                reader.close()
        else:
            rows = browser.all_rows(marked)
        total = len(rows)
        report = export(source, rows, fmt, target, overwrite=replace, progress=throttled(lambda n: progress(n, total)))
    except BatchdeckError as exc:
        return ExportFinished(str(exc), error=True)
    return ExportFinished(f"{counted(report.rows, 'result')} to {report.path}")
