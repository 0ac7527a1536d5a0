"""`batchdeck cancel ID…` and `batchdeck delete ID…`, each confirmed unless --yes."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

from batchdeck.commands.common import confirm, open_workspace, say
from batchdeck.core.batches import rules
from batchdeck.core.batches.changes import ChangeResult, cancel_batch, check_change, delete_batch
from batchdeck.core.batches.models import CachedBatch
from batchdeck.core.workspace import Workspace


def register(commands: Any, parents: list[argparse.ArgumentParser]) -> None:
    c = commands.add_parser(
        "cancel",
        parents=parents,
        help="cancel running batches",
        description="Cancel batches. Requests already processed keep their results; the "
        "rest end canceled. Asks first unless --yes.",
    )
    c.add_argument("ids", nargs="+", metavar="ID", help="batch ids (or unique parts after msgbatch_)")
    c.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
    c.set_defaults(run=lambda args: _run(args, "cancel", cancel_batch))
    d = commands.add_parser(
        "delete",
        parents=parents,
        help="delete ended batches from the API",
        description="Delete batches and their results from Anthropic (only ended batches; "
        "cancel running ones first: a running batch is refused before anything "
        "is sent). The local cache keeps a record and your "
        "labels and notes. Asks first unless --yes.",
    )
    d.add_argument("ids", nargs="+", metavar="ID", help="batch ids (or unique parts after msgbatch_)")
    d.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
    d.set_defaults(run=lambda args: _run(args, "delete", delete_batch))


def _run(args: argparse.Namespace, verb: str, act: Callable[[Workspace, str], ChangeResult]) -> int:
    """Check every batch against the rule first (its state now, from the API); ask about those that can be
    acted on; refuse the others with the reason, before any call that would change them."""
    with open_workspace(args) as ws:
        ids = list(dict.fromkeys(ws.batches.resolve(i) for i in args.ids))
        targets, refused = _sort_out(ws, verb, ids)
        for line in refused:
            say(f"batchdeck: error: {line}", file=sys.stderr)
        if not targets:
            return 1
        if not confirm(_question(verb, targets), args.yes):
            print("nothing done")
            return 1
        failed = len(refused)
        for batch in targets:
            outcome = act(ws, batch.id)
            failed += not outcome.ok
            say(outcome.message, file=sys.stdout if outcome.ok else sys.stderr)
    return 1 if failed else 0


def _sort_out(ws: Workspace, verb: str, ids: list[str]) -> tuple[list[CachedBatch], list[str]]:
    """The batches `verb` can be done to, and one line for each that it cannot."""
    targets: list[CachedBatch] = []
    refused: list[str] = []
    for batch_id in ids:
        batch, why = check_change(ws, verb, batch_id)
        if why is not None:
            refused.append(why)
        elif batch is not None:
            targets.append(batch)
    return targets, refused


def _question(verb: str, targets: list[CachedBatch]) -> str:
    ids = [b.id for b in targets]
    what = ids[0] if len(ids) == 1 else f"{len(ids)} batches ({', '.join(ids[:3])}{', …' if len(ids) > 3 else ''})"
    hint = "(`batchdeck results ID` saves a copy first.)"
    return f"{verb.capitalize()} {what}? {rules.consequence(verb, targets, hint)}"
