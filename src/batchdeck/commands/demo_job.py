"""The demo's own job: a small batch submitted through batchdeck when the demo opens, so that
`R` (resubmit the failed rows) and `J` (the job view) have something to show without a file.

The same thread first fills the demo's empty cache with one sync while Textual loads, so the app's first
frame shows the list (the app's own first poll, after it, finds nothing new but the job)."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from batchdeck.core.session import Session

if TYPE_CHECKING:
    from batchdeck.emulator import Emulator

TOPICS = ("billing", "login", "refund", "shipping", "bug report", "feature request")


def write_requests(path: Path, count: int = 120) -> None:
    lines = [
        {
            "custom_id": f"ticket-{i:04d}",
            "params": {
                "model": "claude-haiku-4-5",
                "max_tokens": 128,
                "messages": [
                    {
                        "role": "user",
                        "content": f"Classify this support ticket about {TOPICS[i % len(TOPICS)]}: "
                        f"case {i}, the customer writes in for the {i % 7 + 1}th time.",
                    }
                ],
            },
        }
        for i in range(count)
    ]
    lines.append(
        {
            "custom_id": "ticket-bad-model",
            "params": {
                "model": "claude-nope",
                "max_tokens": 128,
                "messages": [{"role": "user", "content": "Classify: hello"}],
            },
        }
    )
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")


def submit_in_background(
    session: Session, emulator: Emulator, home: Path, synced: threading.Event | None = None
) -> threading.Thread:
    """Submit the demo job from a thread (the API client takes a moment to load); the TUI's next poll shows it.
    With `synced`, sync the cache first and set it then (whether the sync worked or not)."""

    def work() -> None:
        from batchdeck.core.errors import BatchdeckError

        if synced is not None:
            try:
                with session.workspace() as ws:
                    ws.syncer().sync()  # API failures end up in its report: the app's poll says them
            except BatchdeckError:
                pass
            finally:
                synced.set()
        from batchdeck.core.jobs.submit import SubmitSource, plan_submit, submit

        source = home / "nightly-tickets.jsonl"
        write_requests(source)
        emulator.set_rates(error_rate=0.15)
        try:
            with session.workspace() as ws:
                submit(ws, plan_submit(ws, SubmitSource(source), name="nightly ticket triage"))
        except BatchdeckError:
            pass  # the demo carries on without its job
        finally:
            emulator.set_rates(error_rate=0.0)

    thread = threading.Thread(target=work, name="demo-job", daemon=True)
    thread.start()
    return thread
