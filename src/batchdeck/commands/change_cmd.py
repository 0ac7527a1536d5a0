"""`batchdeck cancel ID…` and `batchdeck delete ID…`, each confirmed unless --yes."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

from batchdeck.commands.common import confirm, open_workspace, say
from batchdeck.core import actions
from batchdeck.core.workspace import Workspace


def register(commands: Any, parents: list[argparse.ArgumentParser]) -> None:
    c = commands.add_parser("cancel", parents=parents, help="cancel running batches",
                            description="Cancel batches. Requests already processed keep their results; the "
                                        "rest end canceled. Asks first unless --yes.")
    c.add_argument("ids", nargs="+", metavar="ID", help="batch ids (or unique parts after msgbatch_)")
    c.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
    c.set_defaults(run=lambda args: _run(args, "cancel", actions.cancel))
    d = commands.add_parser("delete", parents=parents, help="delete ended batches from the API",
                            description="Delete batches and their results from Anthropic (only ended batches; "
                                        "cancel running ones first). The local cache keeps a record and your "
                                        "labels and notes. Asks first unless --yes.")
    d.add_argument("ids", nargs="+", metavar="ID", help="batch ids (or unique parts after msgbatch_)")
    d.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
    d.set_defaults(run=lambda args: _run(args, "delete", actions.delete))


def _run(args: argparse.Namespace, verb: str, act: Callable[[Workspace, str], actions.Outcome]) -> int:
    with open_workspace(args) as ws:
        ids = list(dict.fromkeys(ws.cache.resolve(i) for i in args.ids))
        what = ids[0] if len(ids) == 1 else f"{len(ids)} batches ({', '.join(ids[:3])}{', …' if len(ids) > 3 else ''})"
        consequence = ("Unprocessed requests will end canceled." if verb == "cancel"
                       else "Its results are removed from Anthropic for good.")
        if not confirm(f"{verb.capitalize()} {what}? {consequence}", args.yes):
            print("nothing done")
            return 1
        failed = 0
        for batch_id in ids:
            outcome = act(ws, batch_id)
            failed += not outcome.ok
            say(outcome.message, file=sys.stdout if outcome.ok else sys.stderr)
    return 1 if failed else 0
