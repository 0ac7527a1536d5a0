"""Marking a batch's result set in the index once its body has been read: complete or not, with totals.

Shared by a download and by a re-index of a kept file: a body with fewer result lines than the
batch's requests is not complete (`check_complete`); a complete one gets its totals (summed in
SQLite, not per row) and its `complete` mark (`mark_complete`). A set is kept when it is marked
complete and its file is still there.
"""

from __future__ import annotations

from pathlib import Path

from batchdeck.core.errors import ApiFailure
from batchdeck.core.results.ingest import IngestReport
from batchdeck.core.spend.pricing import BATCH_DISCOUNT
from batchdeck.core.store.result_repo import ResultRepo, ResultSet, Totals


def check_complete(report: IngestReport, totals: Totals, expected: int) -> None:
    """A body with fewer result lines than the batch's requests was cut short: not complete.

    `totals` are the set's rows as indexed (`ResultRepo.totals`): a repeated custom_id counts once."""
    lines = sum(totals.outcomes.values()) + report.malformed - int(report.cut)
    if lines < expected:
        raise ApiFailure(
            f"the results of {report.batch_id} are incomplete: {lines:,} result lines for "
            f"{expected:,} requests; nothing kept, the next download starts afresh",
            "server",
        )


def mark_complete(index: ResultRepo, report: IngestReport, totals: Totals, now: str) -> None:
    """Totals from SQLite (outcome counts and costs, summed there rather than per row), and the complete mark."""
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
        usage=totals.usage,
    )


def saved_report(index: ResultRepo, saved: ResultSet, final: Path) -> IngestReport:
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


def is_kept(index: ResultRepo, batch_id: str, final: Path) -> bool:
    current = index.result_set(batch_id)
    return current is not None and current.complete and final.exists()
