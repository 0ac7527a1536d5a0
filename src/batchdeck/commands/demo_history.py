"""The demo workspace's month of history as batchdeck keeps it locally: labels, and saved results.

The emulator's demo scenario holds about 60 batches over 35 days, on several models of the price table.
What only batchdeck can hold comes from here: each batch is labelled by the task it runs, as a team
labels its recurring jobs, so the Spend screen's breakdown by label means something on first run. The
TUI's background downloads save the results (and so the costs) within the demo's first minutes;
`save_results` does the same at once, for snapshots and screenshots that run with those downloads off.
The batches archived before anyone saved them stay of unknown cost, as they would for a real workspace.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from batchdeck.core.workspace import Workspace

if TYPE_CHECKING:
    from batchdeck.emulator import Emulator

TASK_LABELS = {
    "ticket-triage": "support-triage",
    "summarize": "news-digest",
    "extract": "filings-extract",
    "translate": "fr-localization",
    "grade": "eval-grading",
    "sentiment": "review-sentiment",
}
"""The demo's labels, by the emulator task a batch runs (`emulator.sources.TASKS`)."""

LARGEST_SAVED = 50_000  # requests: the demo's 100,000-request batch (131 MB) is left to the background downloads


def label_history(ws: Workspace, emulator: Emulator) -> int:
    """Label each of the emulator's seeded batches by its task; returns how many were labelled."""
    now = ws.now()
    labelled = 0
    for batch in emulator.store.all_batches():
        spec = getattr(batch.source, "spec", None)  # a seeded batch's; a submitted one has none
        label = TASK_LABELS.get(getattr(spec, "task", ""))
        if label is not None:
            ws.batches.set_meta(batch.id, now, label=label)
            labelled += 1
    return labelled


def save_results(ws: Workspace, largest: int = LARGEST_SAVED) -> list[str]:
    """Sync, then save the results of every ended batch that can still be downloaded (up to `largest`
    requests); returns the ids saved."""
    from batchdeck.core.results.auto_download import pending_downloads
    from batchdeck.core.results.download import download

    ws.syncer().sync()
    sizes = {b.id: b.counts.total for b in ws.batches.query()}
    saved = []
    for batch_id in pending_downloads(ws, ws.clock(), limit=1000):
        if sizes.get(batch_id, 0) <= largest:
            download(ws, batch_id)
            saved.append(batch_id)
    return saved
