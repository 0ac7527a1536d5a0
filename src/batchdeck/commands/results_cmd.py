"""`batchdeck results ID` and `batchdeck export ID`: results by custom_id, downloaded once and kept."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from batchdeck.commands.common import checked_limit, open_workspace, output_file, print_json, say, table
from batchdeck.core.errors import UsageError
from batchdeck.core.results.download import ensure_downloaded, results_path
from batchdeck.core.results.export import FORMATS, export
from batchdeck.core.results.filter import ResultFilter
from batchdeck.core.store.result_repo import ResultRow
from batchdeck.core.workspace import Workspace

OUTCOMES = ("succeeded", "errored", "canceled", "expired")


def register(commands: Any, parents: list[argparse.ArgumentParser]) -> None:
    r = commands.add_parser(
        "results",
        parents=parents,
        help="results of a batch, by custom_id",
        description="Show a batch's results (downloaded once and kept locally, so they "
        "outlive Anthropic's 29-day archive).",
    )
    _selection(r)
    r.add_argument("--limit", type=int, metavar="N", help="at most N rows")
    r.add_argument("--json", action="store_true", help="a JSON array of index rows (see README)")
    r.set_defaults(run=run_results)
    e = commands.add_parser(
        "export",
        parents=parents,
        help="write a batch's results to a file",
        description="Export results: jsonl (raw lines exactly as received), csv (custom_id, "
        "outcome, text, error, tokens, cost) or text (custom_id and text).",
    )
    _selection(e)
    e.add_argument(
        "-o",
        "--output",
        type=Path,
        metavar="FILE",
        help="the file, or a directory for the default name (default: <batch id>[-<outcome>].<format> "
        "in the current directory)",
    )
    e.add_argument("--format", choices=list(FORMATS), default="jsonl", help="default: jsonl")
    e.add_argument("--force", action="store_true", help="replace FILE if it exists")
    e.set_defaults(run=run_export)


def _selection(p: argparse.ArgumentParser) -> None:
    p.add_argument("id", help="batch id (or a unique part after msgbatch_)")
    p.add_argument("--outcome", metavar="O[,O]", help=f"only these outcomes: {', '.join(OUTCOMES)}")
    p.add_argument(
        "--custom-id", metavar="PATTERN", help="ids starting with it; a glob like '*-retry'; '=ID' for exactly ID"
    )
    p.add_argument("--error-type", metavar="TYPE", help="only errors of this type (e.g. overloaded_error)")


def _outcomes(text: str | None) -> list[str]:
    chosen = [o.strip() for o in (text or "").split(",") if o.strip()]
    unknown = [o for o in chosen if o not in OUTCOMES]
    if unknown:
        raise UsageError(f"unknown outcome {unknown[0]!r}; choose from {', '.join(OUTCOMES)}")
    return chosen


def _progress(total_bytes: int, rows: int) -> None:
    if sys.stderr.isatty():
        print(f"\rdownloading… {total_bytes / 1e6:.1f} MB, {rows:,} results", end="", file=sys.stderr, flush=True)


def _rows(ws: Workspace, args: argparse.Namespace, limit: int | None = None) -> tuple[str, list[ResultRow]]:
    outcomes = _outcomes(args.outcome)
    batch_id = ws.batches.resolve(args.id)
    ensure_downloaded(ws, batch_id, _progress)
    if sys.stderr.isatty():
        print(file=sys.stderr)
    flt = ResultFilter(tuple(outcomes), args.error_type, args.custom_id or "")
    return batch_id, ws.results.rows(batch_id, flt.where(), limit)


def run_results(args: argparse.Namespace) -> int:
    limit = checked_limit(args.limit)
    with open_workspace(args) as ws:
        batch_id, rows = _rows(ws, args, limit)
        if args.json:
            print_json([r.to_json() for r in rows])
            return 0
        if not rows:
            print("no results match")
            return 0
        print(
            table(
                ["CUSTOM_ID", "OUTCOME", "ERROR", "STOP", "IN", "OUT", "COST"],
                [
                    [
                        r.custom_id,
                        r.outcome,
                        r.error_type or "",
                        r.stop_reason or "",
                        f"{r.input_tokens:,}",
                        f"{r.output_tokens:,}",
                        "" if r.cost_usd is None else f"${r.cost_usd:.5f}",
                    ]
                    for r in rows
                ],
            )
        )
        result_set = ws.results.result_set(batch_id)
        if result_set and result_set.cost_usd is not None:
            print(
                f"batch cost ${result_set.cost_usd:.4f} at batch prices (standard ${result_set.standard_cost_usd:.4f})"
                + (f"; {result_set.unpriced_rows} rows of unknown price" if result_set.unpriced_rows else "")
            )
    return 0


def run_export(args: argparse.Namespace) -> int:
    with open_workspace(args) as ws:
        batch_id, rows = _rows(ws, args)
        suffix = f"-{args.outcome.replace(',', '-')}" if args.outcome else ""
        target = output_file(args.output, f"{batch_id}{suffix}{FORMATS[args.format]}")
        report = export(results_path(ws, batch_id), rows, args.format, target, overwrite=args.force)
    say(f"wrote {report.rows:,} results to {report.path} ({report.bytes / 1e6:.1f} MB)")
    return 0
