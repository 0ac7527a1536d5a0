"""The `R` flow: plan in a worker, ask for the original file when batchdeck never had the requests,
preview by category with the cost, then send; the new batch shows up with the next poll."""

from __future__ import annotations

from typing import TYPE_CHECKING

from batchdeck.core.batches.phrases import counted
from batchdeck.core.jobs.retry import RetryPlan
from batchdeck.core.terminal_text import visible
from batchdeck.tui.messages import RetryPlanned, RetrySent
from batchdeck.tui.screens.prompt import PromptScreen
from batchdeck.tui.screens.retry_preview import RetryPreview
from batchdeck.tui.text import literal

if TYPE_CHECKING:
    from batchdeck.tui.app import BatchdeckApp


class ResubmitFlow:
    def __init__(self, app: BatchdeckApp) -> None:
        self.app = app

    def start(self, target: str, only: tuple[str, ...] | None = None) -> None:
        self.app.notify("planning the resubmission…", timeout=3)
        self.app.controller.jobs.plan_retry(target, only=only)

    def _preview(self) -> RetryPreview | None:
        screen = self.app.screen
        return screen if isinstance(screen, RetryPreview) else None

    def planned(self, message: RetryPlanned) -> None:
        app = self.app
        preview = self._preview()
        if message.error:
            app.notify(message.error, title="Cannot resubmit", severity="error", timeout=20, markup=False)
            if preview is not None:
                preview.dismiss(None)
            return
        if message.needs_attach:
            self._ask_for_file(message.target, message.only)
            return
        plan = message.plan
        assert isinstance(plan, RetryPlan)
        if preview is not None:
            preview.show_plan(plan)
            return
        if not plan.categories and not plan.unsent_parts:
            app.notify(
                f"no failed rows in {plan.target_batch or plan.job_id}: nothing to resend", timeout=6, markup=False
            )
            return

        def replan(include: tuple[str, ...]) -> None:
            app.controller.jobs.plan_retry(message.target, include, message.only)

        def answer(chosen: RetryPlan | None) -> None:
            if chosen is not None:
                app.controller.jobs.send_retry(chosen)
                app.notify(f"sending {counted(len(chosen.selected), 'request')}…", timeout=4)

        app.push_screen(RetryPreview(plan, replan), answer)

    def _ask_for_file(self, batch_id: str, only: tuple[str, ...] | None) -> None:
        """A batch made elsewhere: its requests are only in the user's own file."""

        def chosen(path: str | None) -> None:
            if path:
                self.app.controller.jobs.plan_retry(batch_id, only=only, attach_file=path)

        self.app.push_screen(
            PromptScreen(
                f"{literal(visible(batch_id))} was not submitted through batchdeck: where is its request file (JSONL)?",
                "",
                "enter attaches it (indexed by custom_id, not copied) · esc cancels",
            ),
            chosen,
        )

    def sent(self, message: RetrySent) -> None:
        app = self.app
        if message.error:
            app.notify(message.error, title="Resubmission not sent", severity="error", timeout=30, markup=False)
        else:
            app.notify(
                f"{message.job_id}: resent {counted(message.sent, 'request')} as {' '.join(message.batch_ids)}",
                title="Resubmitted",
                timeout=10,
                markup=False,
            )
        app.controller.poll_now()
        from batchdeck.tui.screens.job import JobScreen

        for screen in app.screen_stack:
            if isinstance(screen, JobScreen):
                screen.action_reload()
