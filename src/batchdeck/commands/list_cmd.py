"""`batchdeck list` and `batchdeck show`: batches from the cache, after a quick sync."""

from __future__ import annotations

import argparse
from typing import Any

from batchdeck.commands.common import checked_limit, open_workspace, print_json, say, table, warn
from batchdeck.core import timefmt
from batchdeck.core.batches.changes import refresh_batch
from batchdeck.core.batches.models import CachedBatch
from batchdeck.core.batches.phrases import archive_soon, batch_fields
from batchdeck.core.errors import ApiFailure, UsageError
from batchdeck.core.store.batch_repo import STATUS_FILTERS
from batchdeck.core.sync.turnaround import Turnaround, estimate
from batchdeck.core.terminal_text import visible
from batchdeck.core.workspace import Workspace


def register(commands: Any, parents: list[argparse.ArgumentParser]) -> None:
    p = commands.add_parser(
        "list",
        parents=parents,
        help="list batches, newest first",
        description="List the workspace's batches from the local cache, after a quick sync.",
    )
    p.add_argument(
        "--status",
        metavar="S[,S]",
        help=f"only these statuses: {', '.join(STATUS_FILTERS)} "
        "(failed = ended with errored, expired or canceled rows)",
    )
    p.add_argument("--since", metavar="WHEN", help="created since a span (36h, 7d, 2w) or a date (2026-11-01)")
    p.add_argument("--limit", type=int, metavar="N", help="at most N batches")
    p.add_argument("--all", action="store_true", help="include batches deleted remotely")
    p.add_argument("--cached", action="store_true", help="do not sync first (no network)")
    p.add_argument("--json", action="store_true", help="a JSON array of batch objects (see README)")
    p.set_defaults(run=run_list)
    s = commands.add_parser(
        "show",
        parents=parents,
        help="every field of one batch",
        description="Show one batch: its API fields and local metadata (refreshed first).",
    )
    s.add_argument("id", help="batch id, or a unique part of it after msgbatch_")
    s.add_argument("--cached", action="store_true", help="do not refresh from the API")
    s.add_argument("--json", action="store_true", help="a JSON object (see README)")
    s.set_defaults(run=run_show)


def _statuses(text: str | None) -> set[str] | None:
    if not text:
        return None
    chosen = {s.strip() for s in text.split(",") if s.strip()}
    unknown = chosen - set(STATUS_FILTERS)
    if unknown:
        raise UsageError(f"unknown status {sorted(unknown)[0]!r}; choose from {', '.join(STATUS_FILTERS)}")
    return chosen


def _quick_sync(ws: Workspace) -> None:
    try:
        report = ws.syncer().sync()
    except ApiFailure as failure:  # no key: the cache is still worth showing
        warn(f"showing cached data: {failure}")
        return
    if report.skipped:
        warn(report.skipped_line() or "")
    if not report.ok:
        last = ws.batches.sync_state().last_success_at
        age = timefmt.ago(timefmt.parse(last), ws.api_now()) if last else "never"
        warn(f"showing cached data (last successful sync: {age}): {report.error}")


def _row(batch: CachedBatch, now: Any) -> list[str]:
    took = batch.duration_seconds(now)
    duration = f"took {timefmt.span(took)}" if batch.ended_at else f"running {timefmt.span(took)}"
    return [
        batch.id,
        batch.status_text(),
        f"{batch.counts.total:,}",
        timefmt.ago(batch.created, now),
        duration,
        batch.label or "",
    ]


def run_list(args: argparse.Namespace) -> int:
    statuses = _statuses(args.status)
    limit = checked_limit(args.limit)
    with open_workspace(args) as ws:
        try:
            since = timefmt.iso(timefmt.parse_since(args.since, ws.api_now())) if args.since else None
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        if not args.cached:
            _quick_sync(ws)
        batches = ws.batches.query(statuses, since, limit, include_deleted=args.all)
        if args.json:
            print_json([b.to_json() for b in batches])
            return 0
        now = ws.api_now()
        if not batches:
            print("no batches" + (" match" if statuses or since else " yet"))
            return 0
        print(table(["ID", "STATUS", "REQUESTS", "CREATED", "DURATION", "LABEL"], [_row(b, now) for b in batches]))
        soon = [b for b in batches if archive_soon(b, now)]
        if soon:
            shown = ", ".join(b.id for b in soon[:5]) + (" …" if len(soon) > 5 else "")
            warn(
                f"the results of {len(soon)} batch{'es' if len(soon) > 1 else ''} are archived by Anthropic within "
                f"3 days and not saved locally: {shown}; save them with `batchdeck results ID` (or the TUI)"
            )
    return 0


def run_show(args: argparse.Namespace) -> int:
    with open_workspace(args) as ws:
        batch_id = ws.batches.resolve(args.id)
        if args.cached:
            batch = ws.batches.get(batch_id)
            if batch is None:
                raise UsageError(f"batch {batch_id} is not in the cache; run without --cached to fetch it")
        else:
            try:
                batch = refresh_batch(ws, batch_id)
            except ApiFailure as failure:
                cached = ws.batches.get(batch_id)
                if cached is None:
                    raise
                if failure.kind == "not_found":
                    ws.batches.mark_deleted([batch_id], ws.now())
                    cached = ws.batches.get(batch_id)
                    assert cached is not None
                    warn(f"{batch_id} no longer exists remotely; showing the cached record")
                else:
                    warn(f"showing cached data: {failure}")
                batch = cached
        guess = estimate(ws.batches.ended_durations(), batch.counts.total) if batch.is_live else None
        if args.json:
            print_json({**batch.to_json(), "turnaround": _turnaround_json(guess)})
            return 0
        say(_fields_text(batch, guess, ws))
    return 0


def _turnaround_json(guess: Turnaround | None) -> dict[str, Any] | None:
    if guess is None:
        return None
    return {
        "typical_seconds": round(guess.typical_seconds),
        "slow_seconds": round(guess.slow_seconds),
        "based_on": guess.based_on,
    }


def _fields_text(batch: CachedBatch, guess: Turnaround | None, ws: Workspace) -> str:
    lines = batch_fields(batch, guess, ws.api_now())
    width = max(len(k) for k, _ in lines)
    return "\n".join(f"{k.ljust(width)}  {visible(v)}" for k, v in lines)
