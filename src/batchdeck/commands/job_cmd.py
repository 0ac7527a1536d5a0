"""`batchdeck job list|show|reconcile|export`: jobs as a whole, merged across resubmissions."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from batchdeck.commands.common import open_workspace, output_file, print_json, say, table
from batchdeck.core.errors import UsageError
from batchdeck.core.jobs.export import export_merged
from batchdeck.core.jobs.merged import job_view, resolve_job
from batchdeck.core.jobs.reconcile import adopt, reconcile
from batchdeck.core.jobs.send import sending_lock


def register(commands: Any, parents: list[argparse.ArgumentParser]) -> None:
    job = commands.add_parser(
        "job",
        parents=parents,
        help="jobs: a submission and its resubmissions",
        description="A job ties together the batches of one submission and its "
        "resubmissions; its view merges them (latest attempt wins).",
    )
    verbs = job.add_subparsers(dest="job_command", metavar="VERB", required=True)
    ls = verbs.add_parser("list", parents=parents, help="every job of the profile")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(run=run_list)
    show = verbs.add_parser("show", parents=parents, help="a job's batches and merged outcome counts")
    show.add_argument("job", metavar="JOB|BATCH_ID")
    show.add_argument("--json", action="store_true")
    show.add_argument("--offline", action="store_true", help="from the cache only (no refresh, no download)")
    show.set_defaults(run=run_show)
    rec = verbs.add_parser(
        "reconcile",
        parents=parents,
        help="settle interrupted creates: adopt the batch the API made, or mark the part unsent",
    )
    rec.add_argument("job", metavar="JOB|BATCH_ID")
    rec.add_argument("--adopt", metavar="PART=BATCH_ID", help="decide an ambiguous case by hand")
    rec.set_defaults(run=run_reconcile)
    ex = verbs.add_parser("export", parents=parents, help="the merged results as raw JSONL (latest attempt per row)")
    ex.add_argument("job", metavar="JOB|BATCH_ID")
    ex.add_argument(
        "-o",
        "--output",
        type=Path,
        metavar="FILE",
        help="the file, or a directory for the default name (default: <job id>.jsonl here)",
    )
    ex.add_argument("--force", action="store_true", help="replace FILE if it exists")
    ex.set_defaults(run=run_export)


def run_list(args: argparse.Namespace) -> int:
    with open_workspace(args) as ws:
        store = ws.jobs
        rows = [(j, store.submissions(j.id)) for j in store.jobs()]
    if args.json:
        print_json(
            [
                {
                    "id": j.id,
                    "name": j.name,
                    "source_file": j.source_file,
                    "created_at": j.created_at,
                    "requests": j.request_count,
                    "batches": [s.batch_id for s in subs if s.batch_id],
                    "open": sum(s.state != "created" for s in subs),
                }
                for j, subs in rows
            ]
        )
        return 0
    if not rows:
        print("no jobs yet (`batchdeck submit FILE`)")
        return 0
    print(
        table(
            ["JOB", "NAME", "REQUESTS", "BATCHES", "CREATED"],
            [
                [j.id, j.name, f"{j.request_count:,}", str(sum(1 for s in subs if s.batch_id)), j.created_at[:19]]
                for j, subs in rows
            ],
        )
    )
    return 0


def run_show(args: argparse.Namespace) -> int:
    with open_workspace(args) as ws:
        view = job_view(ws, resolve_job(ws, args.job), update=not args.offline)
    if args.json:
        print_json(view.to_json())
    else:
        say("\n".join(view.summary_lines()))
    return 0


def run_reconcile(args: argparse.Namespace) -> int:
    with open_workspace(args) as ws:
        job_id = resolve_job(ws, args.job)
        with sending_lock(ws):
            if args.adopt:
                part, sep, batch_id = args.adopt.partition("=")
                if not sep or not part.isdigit():
                    raise UsageError("--adopt takes PART=BATCH_ID, like --adopt 2=msgbatch_…")
                adopt(ws, job_id, int(part), ws.batches.resolve(batch_id))
                say(f"{job_id} part {part}: adopted {batch_id}")
                return 0
            lines = reconcile(ws, job_id).lines(job_id)
    say("\n".join(lines) if lines else f"{job_id}: nothing to reconcile")
    if lines and any("will be sent" in line for line in lines):
        print(f"send them with `batchdeck retry {job_id}` or by submitting the same file again")
    return 0


def run_export(args: argparse.Namespace) -> int:
    with open_workspace(args) as ws:
        view = job_view(ws, resolve_job(ws, args.job))
        report = export_merged(ws, view, output_file(args.output, f"{view.job.id}.jsonl"), overwrite=args.force)
    extra = f"; {report.without_result:,} without a result yet" if report.without_result else ""
    say(f"wrote {report.rows:,} merged results to {report.path}{extra}")
    return 0
