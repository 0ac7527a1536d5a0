"""`batchdeck label ID TEXT` and `batchdeck note ID TEXT`: local metadata the API has no room for."""

from __future__ import annotations

import argparse
from typing import Any

from batchdeck.commands.common import open_workspace
from batchdeck.core.batches.changes import refresh_batch


def register(commands: Any, parents: list[argparse.ArgumentParser]) -> None:
    for field, helptext in (("label", "a short local name shown in lists"), ("note", "a free-text local note")):
        p = commands.add_parser(
            field,
            parents=parents,
            help=f"set a batch's {field} ({helptext})",
            description=f"Set {helptext} for a batch (kept only in the local cache). An empty TEXT clears it.",
        )
        p.add_argument("id", help="batch id (or a unique part after msgbatch_)")
        p.add_argument("text", help='the text; "" clears it')
        p.set_defaults(run=run, field=field)


def run(args: argparse.Namespace) -> int:
    with open_workspace(args) as ws:
        batch_id = ws.batches.resolve(args.id)
        if ws.batches.get(batch_id) is None:
            refresh_batch(ws, batch_id)  # the batch must exist before it is annotated (ApiFailure: exit 1)
        text = args.text.strip()
        ws.batches.set_meta(batch_id, ws.now(), **{args.field: text or None})
        print(f"{batch_id}: {args.field} {'set' if text else 'cleared'}")
    return 0
