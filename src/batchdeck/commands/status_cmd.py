"""`batchdeck status`: a one-screen summary for a login message or cron mail."""

from __future__ import annotations

import argparse
from typing import Any

from batchdeck.commands.common import print_json, say, warn
from batchdeck.core.batches import status
from batchdeck.core.clock import Clock, utcnow
from batchdeck.core.errors import ApiFailure
from batchdeck.core.workspace import Workspace

CLOCK: Clock = utcnow  # tests point it at the emulator's clock


def register(commands: Any, parents: list[argparse.ArgumentParser]) -> None:
    p = commands.add_parser(
        "status",
        parents=parents,
        help="one-screen summary: live, recent failures, archive soon",
        description="Summarise the profile: live batches (elapsed, expires in), batches that "
        "ended in the last 24 h with failed rows, results archived within 3 days "
        "and not saved locally, and the last sync. Syncs first; always exits 0 "
        "(a failed sync is reported in the summary).",
    )
    p.add_argument("--offline", action="store_true", help="do not sync first (no network)")
    p.add_argument("--json", action="store_true", help="one JSON object (see README)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    with Workspace.open(getattr(args, "profile", None), clock=CLOCK) as ws:
        if not args.offline:
            try:
                synced = ws.syncer().sync()  # a failure is recorded in the sync state the summary shows
                if synced.skipped:
                    warn(synced.skipped_line() or "")
            except ApiFailure as failure:  # no key: the cache is still worth showing
                warn(f"showing cached data: {failure}")
        report = status.build(ws)
    if args.json:
        print_json(report.to_json())
    else:
        say(status.render(report))
    return 0
