"""`J`: the job a batch belongs to, merged across its resubmissions (the latest attempt of each custom_id wins)."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Static

from batchdeck.core.batches.phrases import counted, status_badge
from batchdeck.core.errors import BatchdeckError
from batchdeck.core.jobs.merged import JobView
from batchdeck.core.session import Session
from batchdeck.core.terminal_text import visible
from batchdeck.tui.messages import ExportFinished, JobLoaded, RetryWanted
from batchdeck.tui.signals import Signals
from batchdeck.tui.widgets.key_footer import KeyFooter


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
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "app.pop_screen", "Back"),
        Binding("R", "retry_job", "Resubmit failed"),
        Binding("e", "export_job", "Export merged"),
        Binding("r", "reload", "Refresh"),
        Binding("question_mark", "app.help", "Keys"),
    ]

    def __init__(self, session: Session, target: str, signals: Signals) -> None:
        super().__init__()
        self.session = session
        self.target = target
        self.signals = signals
        self.view: JobView | None = None

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="detail"):
            yield Static(Text(f"Loading the job of {visible(self.target)}…"), id="job-body")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.signals.job.subscribe(self, lambda job_id: self.action_reload())  # a resubmission changed a job
        self.action_reload()

    def action_reload(self) -> None:
        self.load_job(self.target)

    @work(thread=True, exclusive=True, group="job", exit_on_error=False)
    def load_job(self, target: str) -> None:
        """The merged view of the job a batch belongs to (refreshing its batches and results)."""
        from batchdeck.core.jobs.merged import job_view, resolve_job

        with self.session.workspace() as ws:
            try:
                view = job_view(ws, resolve_job(ws, target), update=True)
            except BatchdeckError as exc:
                self.post_message(JobLoaded(None, str(exc)))
                return
        self.post_message(JobLoaded(view))

    def on_job_loaded(self, message: JobLoaded) -> None:
        self.view = message.view
        body = self.query_one("#job-body", Static)
        body.update(job_table(message.view) if message.view else Text(visible(message.error or "no job")))

    def action_retry_job(self) -> None:
        if self.view is not None:
            self.post_message(RetryWanted(self.view.job.id))

    def action_export_job(self) -> None:
        if self.view is not None:
            self.export_merged(self.view.job.id)
            self.notify("exporting the merged results…", timeout=3)

    @work(thread=True, group="export", exit_on_error=False)
    def export_merged(self, job_id: str) -> None:
        """The job's merged results as JSONL (the latest attempt of each custom_id); the app says where."""
        from batchdeck.core.jobs.export import export_merged
        from batchdeck.core.jobs.merged import job_view
        from batchdeck.core.results.export import export_directory, free_path

        directory = export_directory(self.session.settings.results.export_dir)
        with self.session.workspace() as ws:
            try:
                view = job_view(ws, job_id, update=True)
                report = export_merged(ws, view, free_path(directory, f"{job_id}-merged", "jsonl"))
            except BatchdeckError as exc:
                self.app.post_message(ExportFinished(str(exc), error=True))
                return
        self.app.post_message(ExportFinished(f"{job_id}, merged: {report.path}"))
