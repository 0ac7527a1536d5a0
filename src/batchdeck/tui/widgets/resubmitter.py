"""The `R` flow: plan in a worker, ask for the original file when batchdeck never had the requests,
preview by category with the cost, then send; the new batch shows up with the next poll.

A non-visual widget on the main screen (the flow may start on any screen and outlives them). Planning
and sending are named thread workers that call core and post one message; the handlers here push the
dialogs and say what happened. A resubmission publishes the job it changed (`Signals.job`), so an open
job screen reloads, and asks the batch list for a poll.
"""

from __future__ import annotations

from pathlib import Path

from textual import work
from textual.widget import Widget

from batchdeck.core.batches.phrases import counted
from batchdeck.core.errors import BatchdeckError
from batchdeck.core.jobs.retry import RetryPlan
from batchdeck.core.session import Session
from batchdeck.core.terminal_text import visible
from batchdeck.tui.messages import CacheChanged, PollWanted, RetryPlanned, RetrySent
from batchdeck.tui.signals import Signals
from batchdeck.tui.text import literal


class Resubmitter(Widget):
    DEFAULT_CSS = "Resubmitter { display: none; }"

    def __init__(self, session: Session, signals: Signals) -> None:
        super().__init__()
        self.session = session
        self.signals = signals

    def start(self, target: str, only: tuple[str, ...] | None = None) -> None:
        self.notify("planning the resubmission…", timeout=3)
        self.plan_retry(target, only=only)

    # -- workers ------------------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="retry-plan", exit_on_error=False)
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

        with self.session.workspace() as ws:
            try:
                if attach_file:
                    attach(ws, target, Path(attach_file).expanduser())
                store = ws.jobs
                if target.startswith("msgbatch_") and store.job_of_batch(target) is None:
                    self.post_message(RetryPlanned(target, None, needs_attach=True, only=only))
                    return
                plan = plan_retry(ws, target, include, only)
            except BatchdeckError as exc:
                self.post_message(RetryPlanned(target, None, str(exc), only=only))
                return
        self.post_message(RetryPlanned(target, plan, only=only))
        self.post_message(CacheChanged())  # planning downloads results: costs are known

    @work(thread=True, group="retry-send", exit_on_error=False)
    def send_retry(self, plan: RetryPlan) -> None:
        from batchdeck.core.jobs.retry import send_plan

        with self.session.workspace() as ws:
            try:
                made = send_plan(ws, plan)
            except BatchdeckError as exc:  # includes a lost answer (Uncertain): the next run reconciles
                self.post_message(RetrySent(plan.job_id, 0, [], str(exc)))
                return
        self.post_message(RetrySent(plan.job_id, len(plan.selected), made))

    # -- what came back -----------------------------------------------------------------------
    def on_retry_planned(self, message: RetryPlanned) -> None:
        from batchdeck.tui.screens.retry_preview import RetryPreview  # its dialogs load when a resubmission starts

        preview = self.app.screen if isinstance(self.app.screen, RetryPreview) else None
        if message.error:
            self.notify(message.error, title="Cannot resubmit", severity="error", timeout=20, markup=False)
            if preview is not None:
                preview.dismiss(None)
            return
        if message.needs_attach:
            self._ask_for_file(message.target, message.only)
            return
        plan = message.plan
        assert plan is not None
        if preview is not None:
            preview.show_plan(plan)
            return
        if not plan.categories and not plan.unsent_parts:
            text = f"no failed rows in {plan.target_batch or plan.job_id}: nothing to resend"
            self.notify(text, timeout=6, markup=False)
            return

        def replan(include: tuple[str, ...]) -> None:
            self.plan_retry(message.target, include, message.only)

        def answer(chosen: RetryPlan | None) -> None:
            if chosen is not None:
                self.send_retry(chosen)
                self.notify(f"sending {counted(len(chosen.selected), 'request')}…", timeout=4)

        self.app.push_screen(RetryPreview(plan, replan), answer)

    def _ask_for_file(self, batch_id: str, only: tuple[str, ...] | None) -> None:
        """A batch made elsewhere: its requests are only in the user's own file."""

        from batchdeck.tui.screens.prompt import PromptScreen

        def chosen(path: str | None) -> None:
            if path:
                self.plan_retry(batch_id, only=only, attach_file=path)

        question = (
            f"{literal(visible(batch_id))} was not submitted through batchdeck: where is its request file (JSONL)?"
        )
        hint = "enter attaches it (indexed by custom_id, not copied) · esc cancels"
        self.app.push_screen(PromptScreen(question, "", hint), chosen)

    def on_retry_sent(self, message: RetrySent) -> None:
        if message.error:
            self.notify(message.error, title="Resubmission not sent", severity="error", timeout=30, markup=False)
        else:
            self.notify(
                f"{message.job_id}: resent {counted(message.sent, 'request')} as {' '.join(message.batch_ids)}",
                title="Resubmitted",
                timeout=10,
                markup=False,
            )
        self.post_message(PollWanted())
        self.signals.job.publish(message.job_id)
