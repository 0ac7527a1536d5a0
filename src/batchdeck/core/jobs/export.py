"""Exporting a job's merged results: per custom_id the result line of its latest attempt.

`jsonl` writes those raw lines exactly as received (from each batch's kept copy), in the
job's original request order; rows whose latest attempt has no result yet are left out and
counted. Written through a temp file and renamed, as `core.results.export` does.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from batchdeck.core.errors import UsageError
from batchdeck.core.jobs.merged import JobView
from batchdeck.core.results.download import read_lines, results_path
from batchdeck.core.results.export import write_atomically
from batchdeck.core.workspace import Workspace


@dataclass(frozen=True)
class JobExportReport:
    path: Path
    rows: int
    bytes: int
    without_result: int  # custom_ids whose latest attempt has no result line yet


def _merged_lines(ws: Workspace, view: JobView) -> tuple[list[bytes], int]:
    spans: dict[str, list[tuple[str, int, int]]] = defaultdict(list)
    without = 0
    for row in view.rows.values():
        if row.line_offset < 0 or not row.batch_id:
            without += 1
            continue
        spans[row.batch_id].append((row.custom_id, row.line_offset, row.line_length))
    lines: dict[str, bytes] = {}
    for batch_id, items in spans.items():
        items.sort(key=lambda i: i[1])
        for (cid, _, _), line in zip(
            items, read_lines(results_path(ws, batch_id), [(o, n) for _, o, n in items]), strict=True
        ):
            lines[cid] = line if line.endswith(b"\n") else line + b"\n"
    order = ws.jobs.request_order(view.job.id) or sorted(lines)
    ordered = [lines.pop(c) for c in order if c in lines] + [lines[c] for c in sorted(lines)]
    return ordered, without


def export_merged(ws: Workspace, view: JobView, target: Path, overwrite: bool = False) -> JobExportReport:
    if target.exists() and not overwrite:  # before reading every line
        raise UsageError(f"{target} already exists; pass --force to replace it, or choose another file with -o")
    lines, without = _merged_lines(ws, view)
    size = write_atomically(target, lines, overwrite)
    return JobExportReport(target, len(lines), size, without)
