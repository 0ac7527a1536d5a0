"""`batchdeck sync [--rebuild]`: bring the cache up to date with the API."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from batchdeck.commands.common import open_workspace, print_json, say, warn
from batchdeck.core.config import paths, toml_file
from batchdeck.core.store.rebuild import prepare_rebuild


def register(commands: Any, parents: list[argparse.ArgumentParser]) -> None:
    p = commands.add_parser(
        "sync",
        parents=parents,
        help="update the local cache from the API",
        description="Fetch new and changed batches into the local cache. The first sync "
        "reads every batch; later ones usually need one request.",
    )
    p.add_argument(
        "--rebuild",
        action="store_true",
        help="start the cache afresh (also repairs a damaged cache; labels and notes are kept)",
    )
    p.add_argument(
        "--full", action="store_true", help="re-read every page (finds older batches deleted or archived elsewhere)"
    )
    p.add_argument("--json", action="store_true", help="print the sync report as JSON")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    rebuilt = None
    if args.rebuild:
        profile = toml_file.load().profile(getattr(args, "profile", None))
        db, rebuilt = prepare_rebuild(paths.database_file(), profile.name)
        db.close()
    with open_workspace(args) as ws:
        report = ws.syncer().sync(full=args.full)
    if args.json:
        print_json(
            {
                "ok": report.ok,
                "new": report.new,
                "refreshed": report.refreshed,
                "deleted": report.deleted,
                "requests": report.requests,
                "full_walk": report.full_walk,
                "seconds": round(report.seconds, 3),
                "error": report.error,
                "skipped": len(report.skipped),
                "rebuild": rebuilt.summary() if rebuilt else None,
            }
        )
    else:
        if rebuilt:
            say(rebuilt.summary())
        say(report.summary(), file=sys.stdout if report.ok else sys.stderr)
    if report.skipped:
        warn(report.skipped_line() or "")
    return 0 if report.ok else 1
