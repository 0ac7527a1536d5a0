"""`batchdeck spend`: what the batches that ended in a range cost and saved, by day, week, month,
model, label, job or profile, from the local cache (no network)."""

from __future__ import annotations

import argparse
import csv
import sys
from typing import Any

from batchdeck.commands.common import print_json, say, warn
from batchdeck.core.batches.phrases import counted
from batchdeck.core.clock import Clock, utcnow
from batchdeck.core.results.export import spreadsheet_safe
from batchdeck.core.spend.figures import COUNTS, MONEY, Figures
from batchdeck.core.spend.report import BREAKDOWNS, SpendReport, UnknownSpend, spend_report
from batchdeck.core.spend.span import DEFAULT_SINCE, SpendRange
from batchdeck.core.terminal_text import visible
from batchdeck.core.workspace import Workspace

CLOCK: Clock = utcnow  # tests point it at the emulator's clock
UNKNOWN_SHOWN = 10
_HEADERS = (
    "cost",
    "standard",
    "saved",
    "batches",
    "requests",
    "input",
    "output",
    "cache write",
    "cache read",
    "unpriced",
)


def register(commands: Any, parents: list[argparse.ArgumentParser]) -> None:
    p = commands.add_parser(
        "spend",
        parents=parents,
        help="what batches cost and saved, by day, week, month, model, label, job or profile",
        description="Spend of the batches that ended in a range, from their saved results (the cost `list --json` "
        "shows, priced with the config's [prices] overrides): at batch prices, at standard prices, the "
        "saving, succeeded requests, tokens, and succeeded rows of a model with no known price. Ended "
        "batches whose results were never saved have no known cost: they are counted and listed, never "
        "guessed (download them with `batchdeck results ID`). Reads the local cache only: `batchdeck sync` "
        "first for batches ended since. Days follow each batch's ended_at in the local timezone (--utc "
        "for UTC). --by profile sums every profile in the cache as last synced; the other breakdowns "
        "cover the current profile (--profile). --by model counts a batch under the model of most of its "
        "requests and splits its cost and tokens exactly per model.",
    )
    when = p.add_mutually_exclusive_group()
    when.add_argument(
        "--since",
        metavar="SPAN",
        help=f"days, weeks, months or years ending today: 7d, 30d, 12w, 3m, 1y (default {DEFAULT_SINCE})",
    )
    when.add_argument("--from", dest="first", metavar="DATE", help="first day of the range (2026-11-01)")
    p.add_argument("--to", dest="last", metavar="DATE", help="last day of the range, included (default: today)")
    p.add_argument("--by", choices=BREAKDOWNS, default="day", help="the breakdown (default: day)")
    p.add_argument("--utc", action="store_true", help="days, weeks and months in UTC, not the local timezone")
    output = p.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="one JSON object: total, groups, unknown (see README)")
    output.add_argument("--csv", action="store_true", help="one CSV row per group, exact figures")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    span = SpendRange.parse(args.since, args.first, args.last, CLOCK(), utc=args.utc)
    with Workspace.open(getattr(args, "profile", None), clock=CLOCK) as ws:
        report = spend_report(ws, span, args.by, utc=args.utc)
        profile = ws.profile.name
    if args.json:
        print_json(report.as_json())
    elif args.csv:
        write_csv(report)
        if report.unknown.batches:
            n = report.unknown.batches
            warn(
                f"{counted(n, 'ended batch', 'ended batches')} of unknown cost {'is' if n == 1 else 'are'} not in these figures (see --json)"
            )
    else:
        say(render(report, profile))
    return 0


def write_csv(report: SpendReport) -> None:
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow([report.by, *MONEY, *COUNTS])
    for group in report.groups:
        figures = group.figures
        out.writerow([spreadsheet_safe(group.key), *(repr(getattr(figures, k)) for k in (*MONEY, *COUNTS))])


def render(report: SpendReport, profile: str) -> str:
    span = report.span
    whose = "every profile" if report.by == "profile" else f"profile {profile}"
    lines = [f"spend · {whose} · {span.label} · by {report.by} · batch end dates in {report.timezone()}"]
    if not report.groups:
        lines.append("no batch with saved results ended in this range")
    else:
        rows = [[visible(g.key), *_cells(g.figures)] for g in report.groups]
        rows.append(["total", *_cells(report.total)])
        lines.extend(_aligned([report.by, *_HEADERS], rows))
        if report.total.unpriced_rows:
            lines.append(
                f"{report.total.unpriced_rows:,} succeeded row(s) of a model with no known price are not in the "
                'costs: add its price with [prices."MODEL"] in config.toml and download again'
            )
    lines.extend(_unknown_lines(report.unknown))
    return "\n".join(lines)


def _cells(figures: Figures) -> list[str]:
    money = [f"${getattr(figures, k):,.4f}" for k in MONEY]
    return [*money, *(f"{getattr(figures, k):,}" for k in COUNTS)]


def _aligned(headers: list[str], rows: list[list[str]]) -> list[str]:
    """The key column left-aligned, the figures right-aligned, two spaces apart."""
    table = [headers, *rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(headers))]
    return [
        "  ".join(
            cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        )
        for row in table
    ]


def _unknown_lines(unknown: UnknownSpend) -> list[str]:
    if not unknown.batches:
        return []
    lines = [
        f"{counted(unknown.batches, 'ended batch', 'ended batches')} of unknown cost ({counted(unknown.requests, 'succeeded request')}), "
        "not in the figures above: their results were not saved"
    ]
    for item in unknown.items[:UNKNOWN_SHOWN]:
        label = f"  {visible(item.label)}" if item.label else ""
        lines.append(f"  {item.id}  ended {item.ended_at[:16].replace('T', ' ')} UTC  {item.reason}{label}")
    if unknown.batches > UNKNOWN_SHOWN:
        lines.append(f"  … and {unknown.batches - UNKNOWN_SHOWN} more (--json lists them all)")
    return lines
