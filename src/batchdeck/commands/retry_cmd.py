"""`batchdeck retry ID|JOB` (resend failed rows) and `batchdeck attach ID FILE` (originals of other batches)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from batchdeck.commands.common import confirm, open_workspace, print_json, say
from batchdeck.core.jobs.attach import attach
from batchdeck.core.jobs.retry import DEFAULT_INCLUDE, parse_include, plan_retry, send_plan
from batchdeck.core.spend.budget import budget_status


def register(commands: Any, parents: list[argparse.ArgumentParser]) -> None:
    r = commands.add_parser(
        "retry",
        parents=parents,
        help="resend the failed rows of a batch or a job",
        description="Resend failed rows as a new batch of the same job, with the same custom_ids and the original "
        "params, recorded as a child of the original. Default categories: "
        f"{', '.join(DEFAULT_INCLUDE)}. Asks first unless --yes.",
    )
    r.add_argument("target", metavar="ID|JOB", help="a batch id (or unique part), a job id (job-3) or job name")
    r.add_argument(
        "--include",
        metavar="CATS",
        help="categories to resend: expired, canceled, errored (every type), errored:TYPE, all",
    )
    r.add_argument("--dry-run", action="store_true", help="print the plan only")
    r.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
    r.add_argument("--json", action="store_true", help="print the plan (and the batches made) as JSON")
    r.set_defaults(run=run_retry)
    a = commands.add_parser(
        "attach",
        parents=parents,
        help="index the original request file of a batch made elsewhere",
        description="Attach the JSONL request file a batch was created from (not submitted through batchdeck), "
        "so its failed rows can be resent. The file is indexed by custom_id, not copied: keep it "
        "where it is. custom_ids of the batch missing from the file are reported.",
    )
    a.add_argument("id", help="batch id (or a unique part after msgbatch_)")
    a.add_argument("file", type=Path, help="the JSONL request file")
    a.set_defaults(run=run_attach)


def run_retry(args: argparse.Namespace) -> int:
    include = parse_include(args.include)
    with open_workspace(args) as ws:
        plan = plan_retry(ws, args.target, include)
        month = budget_status(ws, ws.api_now())
        if args.json and args.dry_run:
            print_json({**plan.to_json(), "month": month.with_batch_json(plan.estimate)})
            return 0
        if not args.json:
            say("\n".join([*plan.summary_lines(), *([month.with_batch(plan.estimate)] if plan.selected else [])]))
        if args.dry_run:
            return 0
        if not plan.has_work:
            print("nothing to resend")
            return 0
        if not confirm(f"Resend {len(plan.selected):,} requests?", args.yes):
            print("nothing sent")
            return 1
        made = send_plan(ws, plan, progress=lambda line: say(line, file=sys.stderr))
    if args.json:
        print_json({**plan.to_json(), "month": month.with_batch_json(plan.estimate), "batches": made})
    else:
        say(f"{plan.job_id}: resent {len(plan.selected):,} requests as {' '.join(made)}")
    return 0


def run_attach(args: argparse.Namespace) -> int:
    with open_workspace(args) as ws:
        report = attach(ws, ws.batches.resolve(args.id), args.file)
    say("\n".join(report.summary_lines()))
    return 0
