"""`batchdeck watch`: follow batches without a UI until they end, then download, export and run hooks."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time
from typing import Any

from batchdeck.core.batches.models import CachedBatch
from batchdeck.core.clock import Clock, utcnow
from batchdeck.core.config.values import MAX_SECONDS
from batchdeck.core.errors import UsageError
from batchdeck.core.results.export import FORMATS
from batchdeck.core.stop_signals import Stopped, on_stop_signals, raise_stopped
from batchdeck.core.terminal_text import visible
from batchdeck.core.watch.batch_end import EndActions, finish_batch
from batchdeck.core.watch.loop import EXIT_FAILED_ROWS, UNTIL, Sleep, Watch, WatchEvent
from batchdeck.core.watch.outcome import HookOutcome
from batchdeck.core.watch.webhook import check_webhook_url
from batchdeck.core.workspace import Workspace

SLEEP: Sleep = time.sleep  # how time passes between polls (tests make it move the emulator's clock)
CLOCK: Clock = utcnow
EXIT_INTERRUPTED = 130

EPILOG = f"""\
exit codes:
  0    every watched batch ended and all their rows succeeded (or nothing was live)
  {EXIT_FAILED_ROWS}    some watched batch ended with errored, expired or canceled rows, or was deleted
  1    it could not go on (the API rejected the key, an unknown batch id)
  2    usage error        130  interrupted (Ctrl-C)        143, 129  stopped by SIGTERM, SIGHUP
Ctrl-C, SIGTERM and SIGHUP print the "interrupted" line and stop a running on-end command (its process group).
Network failures never stop it: polls back off and the outage is reported once.

on-end command environment (never the API key):
  BATCHDECK_BATCH_ID BATCHDECK_STATUS BATCHDECK_SUMMARY BATCHDECK_LABEL BATCHDECK_PROFILE
  BATCHDECK_SUCCEEDED BATCHDECK_ERRORED BATCHDECK_CANCELED BATCHDECK_EXPIRED BATCHDECK_FAILED
  BATCHDECK_TOTAL BATCHDECK_ENDED_AT BATCHDECK_RESULTS_PATH BATCHDECK_EXPORT_PATH

The hooks.* settings (batchdeck config set hooks.on_end CMD, hooks.webhook URL, hooks.download,
hooks.export_dir, hooks.export_format, hooks.timeout) apply unless --no-hooks; flags override them.
examples:
  batchdeck watch 01HzAb --download --on-end 'notify-send "$BATCHDECK_SUMMARY"'
  batchdeck watch --all-live --json --webhook https://hooks.example.com/batches
"""


def register(commands: Any, parents: list[argparse.ArgumentParser]) -> None:
    p = commands.add_parser(
        "watch",
        parents=parents,
        help="follow batches until they end (no UI: cron, systemd, tmux)",
        description="Poll batches until they end, printing one line per change (or JSON lines). "
        "With no ids, every batch live now is watched.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("ids", nargs="*", metavar="ID", help="batch ids (or unique parts after msgbatch_)")
    p.add_argument("--all-live", action="store_true", help="every batch live now (the default without ids)")
    p.add_argument("--interval", type=float, metavar="S", help="seconds between polls (default: watch.interval, 30)")
    p.add_argument(
        "--until",
        choices=UNTIL,
        default="ended",
        help="ended: until every watched batch has ended (default); any-ended: until the first one",
    )
    p.add_argument("--json", action="store_true", help="one JSON object per line (see README)")
    p.add_argument("--on-end", metavar="CMD", help="shell command run for each batch that ends (env: see below)")
    p.add_argument("--webhook", metavar="URL", help="POST a JSON document here for each batch that ends")
    p.add_argument(
        "--download",
        action="store_true",
        default=None,
        help="download the results of each batch that ends (kept past Anthropic's 29-day archive)",
    )
    p.add_argument("--export-dir", metavar="DIR", help="also export those results to DIR")
    p.add_argument("--export-format", choices=list(FORMATS), help="jsonl (default), csv or text")
    p.add_argument(
        "--hook-timeout",
        type=float,
        metavar="S",
        help="seconds the on-end command, or one webhook attempt, may take (default: hooks.timeout, 60)",
    )
    p.add_argument("--no-hooks", action="store_true", help="ignore the hooks.* settings (flags still apply)")
    p.set_defaults(run=run)


def _check(args: argparse.Namespace) -> None:
    if args.ids and args.all_live:
        raise UsageError("give batch ids or --all-live, not both")
    for flag, value in (("--interval", args.interval), ("--hook-timeout", args.hook_timeout)):
        if value is not None and not 0 < value <= MAX_SECONDS:
            raise UsageError(
                f"{flag} must be a number of seconds above 0 and at most {MAX_SECONDS:.0f} (a week), got {value:g}"
            )
    if args.webhook:
        try:
            check_webhook_url(args.webhook)
        except ValueError as exc:
            raise UsageError(f"--webhook: {exc}") from None


def actions_for(ws: Workspace, args: argparse.Namespace) -> EndActions:
    base = EndActions() if args.no_hooks else EndActions.from_settings(ws.settings.hooks)
    return base.override(
        on_end=args.on_end,
        webhook=args.webhook,
        download=args.download,
        export_dir=args.export_dir,
        export_format=args.export_format,
        timeout=args.hook_timeout,
    )


def _resolve(ws: Workspace, given: list[str]) -> list[str]:
    """Full ids; when one is not cached yet, one sync first so that a unique part of it is enough."""
    ids = [ws.batches.resolve(i) for i in given]
    if any(ws.batches.get(i) is None for i in ids):
        ws.syncer().sync()  # best effort: a failure leaves the ids as given, and the watch reports it
        ids = [ws.batches.resolve(i) for i in given]
    return ids


def run(args: argparse.Namespace) -> int:
    _check(args)
    with Workspace.open(getattr(args, "profile", None), clock=CLOCK) as ws:
        actions = actions_for(ws, args)
        ids = _resolve(ws, args.ids)
        if not ids and not args.all_live:
            print(
                "batchdeck: no batch ids given: watching every live batch (--all-live says so explicitly)",
                file=sys.stderr,
            )
        interval = args.interval or ws.settings.watch.interval

        def on_end(batch: CachedBatch) -> list[HookOutcome]:
            return finish_batch(ws, batch, actions)

        watch = Watch(ws, ids, interval=interval, until=args.until, sleep=SLEEP, on_end=on_end)
        emit = _json_line if args.json else _text_line
        try:
            with on_stop_signals(raise_stopped):  # SIGTERM and SIGHUP take the Ctrl-C path below
                for event in watch.events():
                    emit(event)
        except KeyboardInterrupt as interrupt:  # a running on-end command's process group is stopped on the way
            with contextlib.suppress(OSError):  # after a SIGHUP the terminal may be gone
                emit(watch.interrupted())
            return interrupt.exit_code if isinstance(interrupt, Stopped) else EXIT_INTERRUPTED
        return watch.exit_code()


def _text_line(event: WatchEvent) -> None:
    failed = event.kind == "action" and not event.extra.get("ok")
    prefix = "problem: " if failed else "warning: " if event.kind == "warning" else ""
    print(f"{event.at[:19]}Z  {prefix}{visible(event.message)}", flush=True)


def _json_line(event: WatchEvent) -> None:
    print(json.dumps(event.to_json(), ensure_ascii=False), flush=True)
