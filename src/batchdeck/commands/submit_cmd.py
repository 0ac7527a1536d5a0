"""`batchdeck submit FILE`: check, plan (--dry-run), confirm, then send as one job of one or more batches."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from batchdeck.commands.common import confirm, open_workspace, print_json, say
from batchdeck.core.batches.phrases import counted
from batchdeck.core.errors import UsageError
from batchdeck.core.jobs.submit import SubmitSource, plan_submit, submit
from batchdeck.core.jobs.template import TemplateSpec, load_template
from batchdeck.core.spend.budget import budget_status


def register(commands: Any, parents: list[argparse.ArgumentParser]) -> None:
    p = commands.add_parser(
        "submit",
        parents=parents,
        help="send a request file as a job of one or more batches",
        description='Submit FILE: JSONL request lines {"custom_id", "params"} as the API takes them, or, with '
        "--template, a JSONL/CSV of records turned into one request each. Every line is checked "
        "before anything is sent; more than 100,000 requests or 256 MB are split into several "
        "batches of one job. The requests are kept, so failed rows can be resent (`batchdeck retry`).",
    )
    p.add_argument("file", type=Path, help="JSONL request file, or records (JSONL or .csv) with --template")
    p.add_argument("--name", help="the job's name (default: the file name)")
    simple = p.add_argument_group("simple form (records + template)")
    simple.add_argument("--template", metavar="TEXT|@FILE", help="prompt with {field} placeholders ({{ }} for braces)")
    simple.add_argument("--id-field", metavar="FIELD", help="the record field that gives each custom_id")
    simple.add_argument("--model", help="model for every request")
    simple.add_argument("--max-tokens", type=int, metavar="N", help="max_tokens for every request")
    simple.add_argument("--system", metavar="TEXT", help="system prompt for every request")
    p.add_argument("--dry-run", action="store_true", help="check and print the plan (parts, bytes, cost); send nothing")
    p.add_argument("--again", action="store_true", help="submit even if the same content was submitted before")
    p.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
    p.add_argument("--json", action="store_true", help="print the plan and result as JSON")
    p.set_defaults(run=run)


def _source(args: argparse.Namespace) -> SubmitSource:
    simple = {
        "--id-field": args.id_field,
        "--model": args.model,
        "--max-tokens": args.max_tokens,
        "--system": args.system,
    }
    if args.template is None:
        given = [k for k, v in simple.items() if v is not None]
        if given:
            raise UsageError(f"{given[0]} belongs to the simple form: give --template too")
        return SubmitSource(args.file)
    needed = [k for k in ("--id-field", "--model", "--max-tokens") if simple[k] is None]
    if needed:
        raise UsageError(f"--template needs {', '.join(needed)}")
    if args.max_tokens < 1:
        raise UsageError("--max-tokens must be a positive integer")
    spec = TemplateSpec(load_template(args.template), args.id_field, args.model, args.max_tokens, args.system)
    return SubmitSource(args.file, spec)


def run(args: argparse.Namespace) -> int:
    source = _source(args)
    with open_workspace(args) as ws:
        plan = plan_submit(ws, source, args.name)
        month = budget_status(ws, ws.api_now())
        if args.dry_run:
            if args.json:
                print_json({**plan.to_json(), "month": month.with_batch_json(plan.estimate)})
            else:
                say("\n".join([*plan.summary_lines(), month.with_batch(plan.estimate)]))
            return 0
        if not args.json:  # the file's name and its model names are shown, not obeyed
            say("\n".join([*plan.summary_lines(), month.with_batch(plan.estimate)]))
        refusal = None if args.again else plan.duplicate_error()
        if refusal is not None:
            raise refusal
        question = (
            f"Resume {plan.existing_job}?"
            if plan.existing_job and not plan.existing_finished and not args.again
            else f"Submit {plan.requests:,} requests as {len(plan.parts)} batch{'es' if len(plan.parts) != 1 else ''}?"
        )
        if not confirm(question, args.yes):
            print("nothing submitted")
            return 1
        result = submit(ws, plan, again=args.again, progress=lambda line: say(line, file=sys.stderr))
    if args.json:
        print_json(
            {
                **plan.to_json(),
                "month": month.with_batch_json(plan.estimate),
                "job": result.job_id,
                "batches": result.batch_ids,
                "resumed": result.resumed,
            }
        )
    else:
        verb = "resumed" if result.resumed else "submitted"
        say(f"{result.job_id}: {verb}; {counted(len(result.batch_ids), 'batch')} created: {' '.join(result.batch_ids)}")
    return 0
