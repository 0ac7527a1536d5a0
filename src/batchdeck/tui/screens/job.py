"""`J`: the job a batch belongs to, merged across its resubmissions (the latest attempt of each custom_id wins)."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from batchdeck.core.batches.phrases import counted, status_badge
from batchdeck.core.jobs.merged import JobView
from batchdeck.core.terminal_text import visible


def job_table(view: JobView) -> Table:
    """The job's facts, its merged counts, and each batch it was sent as (with lineage)."""
    job = view.job
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column()
    counts = ", ".join(f"{n:,} {k}" for k, n in sorted(view.counts.items())) or "no results yet"
    for name, value in (
        ("job", f"{job.id}  {job.name}"),
        ("source", job.source_file or "-"),
        ("created", job.created_at),
        ("requests", f"{counted(len(view.rows), 'request')}: {counts}"),
        ("still failing", f"{view.failing:,}" + ("  (R resends them)" if view.failing else "")),
    ):
        grid.add_row(name, Text(visible(value)))
    batches = Table(box=None, padding=(0, 1), header_style="bold", expand=False)
    for title in ("PART", "ROUND", "KIND", "BATCH", "REQUESTS", "STATUS", "PARENT"):
        batches.add_column(title, justify="right" if title in ("PART", "ROUND", "REQUESTS") else "left")
    for sub in view.submissions:
        batch = view.batches.get(sub.batch_id or "")
        status = status_badge(batch) if batch else sub.state
        cells = (
            f"{sub.part:,}",
            f"{sub.round:,}",
            sub.kind,
            sub.batch_id or "(not created)",
            f"{sub.request_count:,}",
            status,
            sub.parent_batch_id or "",
        )
        batches.add_row(*(Text(visible(c)) for c in cells))
    outer = Table.grid()
    outer.add_row(grid)
    outer.add_row("")
    outer.add_row(batches)
    return outer


class JobScreen(Screen[None]):
    BINDINGS = [
        Binding("escape,q", "app.pop_screen", "Back"),
        Binding("R", "retry_job", "Resubmit failed"),
        Binding("e", "export_job", "Export merged"),
        Binding("r", "reload", "Refresh"),
        Binding("question_mark", "app.help", "Keys"),
    ]

    def __init__(self, target: str) -> None:
        super().__init__()
        self.target = target
        self.view: JobView | None = None

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="detail"):
            yield Static(Text(f"Loading the job of {visible(self.target)}…"), id="job-body")
        yield Footer()

    def on_mount(self) -> None:
        self.action_reload()

    def action_reload(self) -> None:
        self.app.controller.jobs.load_job(self.target)  # type: ignore[attr-defined]

    def show(self, view: JobView | None, error: str | None) -> None:
        self.view = view
        body = self.query_one("#job-body", Static)
        body.update(job_table(view) if view else Text(visible(error or "no job")))

    def action_retry_job(self) -> None:
        if self.view is not None:
            self.app.start_retry(self.view.job.id)  # type: ignore[attr-defined]

    def action_export_job(self) -> None:
        if self.view is not None:
            self.app.controller.jobs.export_job(self.view.job.id)  # type: ignore[attr-defined]
            self.notify("exporting the merged results…", timeout=3)
