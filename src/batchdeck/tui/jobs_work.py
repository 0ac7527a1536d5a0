"""Resubmission and job work for the app, in thread workers: plan (attaching the original file first
when asked), send, load a job's merged view, export it. Each posts one message when done."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from batchdeck.core.errors import BatchdeckError
from batchdeck.core.session import Session
from batchdeck.core.workspace import Workspace
from batchdeck.tui.messages import DataLoaded, ExportFinished, JobLoaded, RetryPlanned, RetrySent

if TYPE_CHECKING:
    from batchdeck.tui.app import BatchdeckApp


class JobsWork:
    def __init__(self, app: BatchdeckApp, session: Session, snapshot: Callable[[Workspace, None], DataLoaded]) -> None:
        self.app = app
        self.session = session
        self._snapshot = snapshot

    def plan_retry(
        self,
        target: str,
        include: tuple[str, ...] | None = None,
        only: tuple[str, ...] | None = None,
        attach_file: str | None = None,
    ) -> None:
        """Plan a resubmission of a batch's (or a job's) failed rows; attach the original file first if given."""
        from batchdeck.core.jobs.attach import attach
        from batchdeck.core.jobs.retry import plan_retry

        def work() -> None:
            with self.session.workspace() as ws:
                try:
                    if attach_file:
                        attach(ws, target, Path(attach_file).expanduser())
                    store = ws.jobs
                    if target.startswith("msgbatch_") and store.job_of_batch(target) is None:
                        self.app.post_message(RetryPlanned(target, None, needs_attach=True, only=only))
                        return
                    plan = plan_retry(ws, target, include, only)
                except BatchdeckError as exc:
                    self.app.post_message(RetryPlanned(target, None, str(exc), only=only))
                    return
                self.app.post_message(RetryPlanned(target, plan, only=only))
                self.app.post_message(self._snapshot(ws, None))  # planning downloads results: costs are known

        self.app.run_worker(work, thread=True, group="retry-plan", exit_on_error=False)

    def send_retry(self, plan: object) -> None:
        from batchdeck.core.jobs.retry import RetryPlan, send_plan

        assert isinstance(plan, RetryPlan)

        def work() -> None:
            with self.session.workspace() as ws:
                try:
                    made = send_plan(ws, plan)
                except BatchdeckError as exc:  # includes a lost answer (Uncertain): the next run reconciles
                    self.app.post_message(RetrySent(plan.job_id, 0, [], str(exc)))
                    return
                self.app.post_message(RetrySent(plan.job_id, len(plan.selected), made))

        self.app.run_worker(work, thread=True, group="retry-send", exit_on_error=False)

    def load_job(self, target: str) -> None:
        """The merged view of the job a batch belongs to (refreshing its batches and results)."""
        from batchdeck.core.jobs.merged import job_view, resolve_job

        def work() -> None:
            with self.session.workspace() as ws:
                try:
                    view = job_view(ws, resolve_job(ws, target), update=True)
                except BatchdeckError as exc:
                    self.app.post_message(JobLoaded(None, str(exc)))
                    return
                self.app.post_message(JobLoaded(view))

        self.app.run_worker(work, thread=True, group="job", exit_on_error=False)

    def export_job(self, job_id: str) -> None:
        from batchdeck.core.jobs.export import export_merged
        from batchdeck.core.jobs.merged import job_view
        from batchdeck.core.results.export import export_directory, free_path

        directory = export_directory(self.session.settings.results.export_dir)

        def work() -> None:
            with self.session.workspace() as ws:
                try:
                    view = job_view(ws, job_id, update=True)
                    report = export_merged(ws, view, free_path(directory, f"{job_id}-merged", "jsonl"))
                except BatchdeckError as exc:
                    self.app.post_message(ExportFinished(str(exc), error=True))
                    return
            self.app.post_message(ExportFinished(f"{job_id}, merged: {report.path}"))

        self.app.run_worker(work, thread=True, group="export", exit_on_error=False)
