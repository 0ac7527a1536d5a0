"""The Textual app: wires the screens, the controller's messages, the actions and the command palette."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

from textual.actions import ActionParseResult
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.dom import DOMNode
from textual.notifications import Notify, SeverityLevel
from textual.screen import ModalScreen, Screen
from textual.worker import Worker, WorkerState

from batchdeck.core.batches import rules
from batchdeck.core.batches.models import CachedBatch
from batchdeck.core.batches.phrases import counted
from batchdeck.core.session import Session
from batchdeck.core.sync.turnaround import estimate
from batchdeck.core.sync.walk import SyncReport
from batchdeck.core.terminal_text import visible, visible_block
from batchdeck.core.watch.notify import ending_message, newly_ended, osc9
from batchdeck.tui.clipboard import copied_text
from batchdeck.tui.controller import Controller
from batchdeck.tui.crash import crash_report
from batchdeck.tui.messages import (
    ActionFinished,
    DataLoaded,
    DownloadFinished,
    DownloadProgress,
    ExportFinished,
    HooksRan,
    JobLoaded,
    RetryPlanned,
    RetrySent,
)
from batchdeck.tui.prompts import confirm_cancel, confirm_delete
from batchdeck.tui.resubmit_flow import ResubmitFlow
from batchdeck.tui.screens.detail import DetailScreen
from batchdeck.tui.screens.help import HelpScreen
from batchdeck.tui.screens.job import JobScreen
from batchdeck.tui.screens.main import MainScreen, one_line
from batchdeck.tui.screens.prompt import PromptScreen
from batchdeck.tui.screens.results import ResultsScreen
from batchdeck.tui.text import literal
from batchdeck.tui.widgets.status_line import StatusInfo

RULED = {
    "cancel_batches": "cancel",
    "delete_batches": "delete",
    "label_batch": "label",
    "note_batch": "note",
    "resubmit": "resubmit",
    "open_job": "job",
    "export_batches": "export",
}
"""Actions governed by `core.rules`: the app's action name -> the rule's."""
# How long a toast stays; the flash line under the list keeps the last message until the next one.
TOAST_SECONDS: dict[str, float] = {"information": 8.0, "warning": 12.0, "error": 15.0}


class BatchdeckApp(App[None]):
    CSS_PATH = str(Path(__file__).with_name("app.tcss"))  # absolute: subclasses elsewhere keep the theme
    TITLE = "batchdeck"
    BINDINGS = [
        Binding("q", "quit", "Quit"),
        Binding("colon", "command_palette", "Commands", show=False),
        Binding("ctrl+p", "command_palette", "Commands", show=False, priority=True),
    ]
    NOTIFICATION_TIMEOUT = TOAST_SECONDS["information"]

    def __init__(self, session: Session, readonly: bool = False, poll: bool = True) -> None:
        super().__init__()
        self.session = session
        self.readonly = readonly
        self.clock = session.clock
        self.controller = Controller(self, session, poll=poll)
        self.endings: list[str] = []  # every "batch ended" notice raised, for tests and the record
        self._last_error: str | None = None
        self._download_errors: set[str] = set()  # batches whose failed download was already reported
        self._skipped_told: set[str] = set()  # malformed batch objects a sync skipped, already reported
        self.hook_reports: list[tuple[str, list[tuple[bool, str]]]] = []  # end hooks run, for tests and the record
        self.main = MainScreen(self.clock, session.profile.name, readonly, session.clock_note)
        self.resubmit = ResubmitFlow(self)
        self._pressing = 0  # > 0 while a key's action runs (see run_action)

    def on_mount(self) -> None:
        self.push_screen(self.main)
        self.controller.load()

    def on_unmount(self) -> None:
        self.session.close()

    def _fatal_error(self) -> None:
        """An unhandled exception: exit with batchdeck's one-line report instead of Textual's, whose
        locals can show the API key (see tui/crash.py)."""
        error = sys.exc_info()[1] or self._exception
        if error is None:
            super()._fatal_error()
            return
        self.bell()
        secrets = [*self.session.config.secrets(), self.session.profile.resolve_key()]
        self.error_console.soft_wrap = True  # the report's lines as they are, not cut at 80 columns
        self._exit_renderables.append(crash_report(error, secrets))
        self._close_messages_no_wait()

    # -- notifications ------------------------------------------------------------------------
    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Every toast: control characters shown, short-lived (the flash line keeps it), and while a
        dialog is open one line at the top (see app.tcss), so it never covers the dialog's input."""
        longest = TOAST_SECONDS.get(severity, TOAST_SECONDS["information"])
        timeout = longest if timeout is None else min(timeout, longest)
        message, title = visible_block(message), visible(title)
        if isinstance(self.screen_stack[-1] if self.screen_stack else None, ModalScreen):
            message, title = one_line(f"{title}: {message}" if title else message), ""
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)

    def on_notify(self, event: Notify) -> None:
        """The flash line on the main screen keeps the last message until the next one (k9s-style)."""
        note = event.notification
        self.main.flash(note.title, note.message, note.severity, note.markup)

    # -- data ---------------------------------------------------------------------------------
    def on_data_loaded(self, message: DataLoaded) -> None:
        before = {b.id: b.processing_status for b in self.controller.batches}
        first = not before and message.report is None
        if not self.controller.accept(message) and message.report is None:
            return  # an older snapshot than the one shown: nothing to do
        report = self.controller.last_report
        batches = self.controller.batches  # the newest snapshot, which may not be this message's
        counts: dict[str, int] = {}
        for batch in batches:
            if batch.deleted_at is None:
                counts[batch.processing_status] = counts.get(batch.processing_status, 0) + 1
        profile = self.session.profile
        info = StatusInfo(
            profile=profile.name + (f" ({profile.workspace_id})" if profile.workspace_id else ""),
            last_success=message.state.last_success_at,
            error=report.error if report and not report.ok else None,
            error_kind=report.error_kind if report and not report.ok else None,
            syncing=self.controller.polling,
            counts=counts,
            readonly=self.readonly,
            paused=self.controller.paused,
            failed=sum(
                1 for b in batches if b.deleted_at is None and b.processing_status == "ended" and b.counts.failed
            ),
            clock_note=self.session.clock_note,
            has_key=bool(profile.resolve_key()),
        )
        self.main.show_data(batches, self.controller.history, message.at if message.report else None, info)
        self.controller.on_polling_change = self.main.set_syncing
        if isinstance(self.screen, DetailScreen):
            fresh = next((b for b in batches if b.id == self.screen.batch.id), None)
            if fresh is not None:
                self.screen.show(fresh, estimate(self.controller.history, fresh.counts.total), self._in_job(fresh))
        if message.report is not None:
            self._announce_endings(before, batches)
            self._announce_new_error(message.report.error)
            self._announce_skipped(message.report)
        if first and self.controller.poll_enabled:
            self.controller.poll_now()

    def _announce_new_error(self, error: str | None) -> None:
        """A toast for a poll error only when it is new; the status line keeps showing it meanwhile."""
        if error and error != self._last_error:
            self.notify(error, title="Sync failed", severity="error", timeout=15, markup=False)
        self._last_error = error

    def _announce_skipped(self, report: SyncReport) -> None:
        """Malformed batch objects a sync skipped: said once, not on every poll that meets them again."""
        new = set(report.skipped) - self._skipped_told
        if new:
            self._skipped_told |= new
            self.notify(report.skipped_line() or "", title="Sync skipped objects", severity="warning", markup=False)

    def _announce_endings(self, before: dict[str, str], batches: list[CachedBatch]) -> None:
        for batch in newly_ended(before, batches):
            text = ending_message(batch)
            self.endings.append(text)
            if self.session.settings.notify.toast:
                self.notify(
                    text,
                    title="Batch ended",
                    severity="warning" if batch.counts.failed else "information",
                    timeout=30,
                    markup=False,
                )
            if self.session.settings.notify.bell:
                self.bell()
            if self.session.settings.notify.desktop and not self.is_headless and self._driver is not None:
                self._driver.write(osc9(f"batchdeck: {text}"))
            self.controller.results.run_end_hooks(batch)  # local actions: a readonly monitor runs them too

    def on_hooks_ran(self, message: HooksRan) -> None:
        """Hooks are quiet when they work; a failed one is said once, with what went wrong."""
        problems = [text for ok, text in message.outcomes if not ok]
        self.hook_reports.append((message.batch_id, message.outcomes))
        if problems:
            self.notify(
                "\n".join(problems), title="End-of-batch hook failed", severity="warning", timeout=20, markup=False
            )

    def on_action_finished(self, message: ActionFinished) -> None:
        """One toast per action, however many batches it touched."""
        done = [o for o in message.outcomes if o.ok]
        failed = [o for o in message.outcomes if not o.ok]
        past = message.verb + ("d" if message.verb.endswith("e") else "ed")
        if done:
            text = done[0].message if len(done) == 1 else f"{counted(len(done), 'batch', 'batches')} {past}"
            self.notify(text, title=past.capitalize(), timeout=8, markup=False)
        if failed:
            more = f" (and {len(failed) - 1:,} more)" if len(failed) > 1 else ""
            self.notify(
                failed[0].message + more, title=f"Could not {message.verb}", severity="error", timeout=20, markup=False
            )
        self.main.clear_marks_after_action()
        self.controller.poll_now()

    def on_download_progress(self, message: DownloadProgress) -> None:
        for screen in self.screen_stack:
            if isinstance(screen, ResultsScreen):
                screen.download_progress(message)

    def on_download_finished(self, message: DownloadFinished) -> None:
        """The results screen waiting for it carries on; a failure is said once, a user's download is confirmed."""
        for screen in self.screen_stack:
            if isinstance(screen, ResultsScreen):
                screen.download_finished(message)
        if message.error and message.batch_id not in self._download_errors:
            self._download_errors.add(message.batch_id)
            self.notify(
                message.error,
                title="Results not saved",
                severity="warning" if message.automatic else "error",
                timeout=15,
                markup=False,
            )
        elif message.summary and not message.automatic and not isinstance(self.screen, ResultsScreen):
            self.notify(message.summary, title="Results saved", timeout=6, markup=False)

    def on_export_finished(self, message: ExportFinished) -> None:
        if message.error:
            self.notify(message.text, title="Export failed", severity="error", timeout=20, markup=False)
        else:
            self.notify(message.text, title="Exported", timeout=10, markup=False)

    def on_retry_planned(self, message: RetryPlanned) -> None:
        self.resubmit.planned(message)

    def on_retry_sent(self, message: RetrySent) -> None:
        self.resubmit.sent(message)

    def on_job_loaded(self, message: JobLoaded) -> None:
        for screen in self.screen_stack:
            if isinstance(screen, JobScreen):
                screen.show(message.view, message.error)  # type: ignore[arg-type]

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The one place worker errors surface: a readable notification, and the app keeps running."""
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            error = event.worker.error
            self.notify(
                f"{type(error).__name__}: {error}" if not str(error).startswith("cannot") else str(error),
                title="Something went wrong",
                severity="error",
                timeout=20,
                markup=False,
            )
            if event.worker.group == "poll":
                self.controller.poll_failed(f"{type(error).__name__}: {error}")

    # -- actions ------------------------------------------------------------------------------
    async def run_action(
        self,
        action: str | ActionParseResult,
        default_namespace: DOMNode | None = None,
        namespaces: Mapping[str, DOMNode] | None = None,
    ) -> bool:
        """A pressed key always reaches its action, which says why when the rule refuses it (check_action
        alone would drop the key without a word). Outside a key press check_action hides what cannot be done."""
        self._pressing += 1
        try:
            return await super().run_action(action, default_namespace, namespaces)
        finally:
            self._pressing -= 1

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        rule = RULED.get(action)
        if rule is None or self._pressing:
            return True
        if self.readonly and rule in rules.CHANGES:
            return False  # hidden from the footer, the keys list and the palette
        # the screen under any dialog or the keys list: its footer stays as it was while they are open
        screen = next((s for s in reversed(self.screen_stack) if not isinstance(s, ModalScreen)), self.screen)
        if isinstance(screen, DetailScreen):  # one batch: offer only what it allows
            return rules.refusal(rule, screen.batch, in_job=self._in_job(screen.batch)) is None
        return True

    def _in_job(self, batch: CachedBatch) -> bool | None:
        job_batches = self.controller.job_batches
        return None if job_batches is None else batch.id in job_batches

    def refuse(self, line: str) -> None:
        """A key that cannot act says why, in one line."""
        self.notify(line, severity="warning", timeout=8, markup=False)

    def _allowed(self, action: str) -> rules.Sorted | None:
        """The marked (or cursor) batches split by the rule; None, after saying why, when none can take `action`."""
        chosen = rules.sort_out(action, self._selection(), self.readonly, self.controller.job_batches)
        if not chosen.allowed:
            self.refuse(chosen.refusal_line())
            return None
        return chosen

    def _selection(self) -> list[CachedBatch]:
        screen = self.screen
        return screen.selection() if hasattr(screen, "selection") else []  # type: ignore[no-any-return]

    def action_cancel_batches(self) -> None:
        chosen = self._allowed("cancel")
        if chosen is not None:
            confirm_cancel(self, chosen)

    def action_delete_batches(self) -> None:
        chosen = self._allowed("delete")
        if chosen is not None:
            confirm_delete(self, chosen)

    def _edit(self, field: str) -> None:
        chosen = self._allowed(field)
        if chosen is None:
            return
        batch = chosen.allowed[0]
        current = getattr(batch, field) or ""

        def save(text: str | None) -> None:
            if text is not None:
                self.controller.set_meta(batch.id, **{field: text or None})

        # an older cache can hold an id the API check would now refuse: shown, never read as markup
        self.push_screen(PromptScreen(f"{field.capitalize()} for {literal(visible(batch.id))}", current), save)

    def action_label_batch(self) -> None:
        self._edit("label")

    def action_note_batch(self) -> None:
        self._edit("note")

    def action_copy_id(self) -> None:
        batches = self._selection()
        if batches:
            text = "\n".join(b.id for b in batches)
            self.copy_to_clipboard(text)
            self.notify(
                copied_text(text if len(batches) == 1 else f"{len(batches):,} ids", os.environ), timeout=8, markup=False
            )

    def action_refresh(self) -> None:
        self.controller.poll_now()
        self.notify("refreshing…", timeout=2)

    def action_toggle_pause(self) -> None:
        paused = self.controller.toggle_pause()
        self.main.info.paused = paused
        self.main.tick()
        self.notify("polling paused (p resumes)" if paused else "polling resumed", timeout=4)

    def action_help(self) -> None:
        screen = self.screen
        titles = {DetailScreen: "Batch details", ResultsScreen: "Results", JobScreen: "Job"}
        title = next((t for kind, t in titles.items() if isinstance(screen, kind)), "Batches")
        self.push_screen(HelpScreen(screen, title))

    def _current(self) -> CachedBatch | None:
        """The batch under the cursor of the list, or of the detail and results screens."""
        screen = self.screen
        if isinstance(screen, MainScreen):
            return screen.current()
        return screen.batch if isinstance(screen, (DetailScreen, ResultsScreen)) else None

    def action_open_results(self) -> None:
        batch = self._current()
        if batch is not None and not isinstance(self.screen, ResultsScreen):
            self.push_screen(ResultsScreen(self.session, batch))

    def action_resubmit(self) -> None:
        """`R`: resend the failed rows of the batch (on the results screen: of the marked rows, if any)."""
        batch = self._current()
        if batch is None:
            return
        why = rules.why_not("resubmit", batch, self.readonly)
        if why:
            self.refuse(why)
            return
        marked = self.screen.marked_ids() if isinstance(self.screen, ResultsScreen) else set()
        self.start_retry(batch.id, tuple(sorted(marked)) or None)

    def start_retry(self, target: str, only: tuple[str, ...] | None = None) -> None:
        if self.readonly:
            self.refuse(rules.line("resubmit", target, rules.READONLY))
            return
        self.resubmit.start(target, only)

    def action_open_job(self) -> None:
        batch = self._current()
        if batch is None:
            return
        why = rules.why_not("job", batch, in_job=self._in_job(batch))
        if why:
            self.refuse(why)
            return
        self.push_screen(JobScreen(batch.id))

    def action_export_batches(self) -> None:
        """`e` on the list: the results of every marked (or the selected) ended batch, raw JSONL, one file each."""
        chosen = self._allowed("export")
        if chosen is None:
            return
        batches = chosen.allowed
        self.controller.results.export_batches([b.id for b in batches])
        skipped = f" ({chosen.skipped_line()})" if chosen.refused else ""
        self.notify(
            f"exporting the results of {counted(len(batches), 'batch', 'batches')}…{skipped}", timeout=6, markup=False
        )

    def open_detail(self, batch: CachedBatch) -> None:
        self.push_screen(
            DetailScreen(
                batch,
                estimate(self.controller.history, batch.counts.total),
                self.clock,
                self.readonly,
                self._in_job(batch),
            )
        )

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """Every action by name, each with its key on the screen it was opened from; Textual's own
        commands only where batchdeck has no equivalent (its "Keys" panel is replaced by `?`)."""
        for command in super().get_system_commands(screen):
            if command.title not in ("Keys", "Quit"):
                yield command
        yield self._command(screen, "Quit", "Quit batchdeck", self.action_quit, "quit")
        commands = [
            ("Refresh now", "Poll the API now", self.action_refresh, "refresh", None),
            (
                "Pause or resume polling",
                "Stop or restart background polling",
                self.action_toggle_pause,
                "toggle_pause",
                None,
            ),
            ("Copy batch id", "Copy the selected batch ids (OSC 52)", self.action_copy_id, "copy_id", None),
            ("Keys of this screen", "batchdeck's keys for the screen you are on", self.action_help, "help", None),
            (
                "Open results",
                "Browse the selected batch's results by custom_id",
                self.action_open_results,
                "open_results",
                None,
            ),
            (
                "Export results",
                "Save the results of the marked or selected batches as JSONL",
                self.action_export_batches,
                "export_batches",
                None,
            ),
            (
                "Resubmit failed rows",
                "Preview, then resend the failed rows of the selected batch",
                self.action_resubmit,
                "resubmit",
                "resubmit",
            ),
            (
                "Open job",
                "The job of the selected batch, merged across its resubmissions",
                self.action_open_job,
                "open_job",
                None,
            ),
            (
                "Cancel batches",
                "Cancel the marked or selected batches",
                self.action_cancel_batches,
                "cancel_batches",
                "cancel_batches",
            ),
            (
                "Delete batches",
                "Delete the marked or selected ended batches",
                self.action_delete_batches,
                "delete_batches",
                "delete_batches",
            ),
            ("Label batch", "Set the selected batch's label", self.action_label_batch, "label_batch", "label_batch"),
            ("Note on batch", "Set the selected batch's note", self.action_note_batch, "note_batch", "note_batch"),
        ]
        for title, help_text, callback, key_action, check in commands:
            if check is None or self.check_action(check, ()):
                yield self._command(screen, title, help_text, callback, key_action)
        if screen is self.main:
            yield from self._main_commands()

    def _main_commands(self) -> Iterable[SystemCommand]:
        main = self.main
        for name in ("all", "live", "failed", "ended", "deleted"):
            yield self._command(
                main,
                f"Show {name} batches",
                f"Quick filter: {name}",
                lambda n=name: main.action_quick_filter(n),
                "quick_filter",
                "cycles",
            )  # type: ignore[misc]
        for key in ("created", "status", "requests", "time", "left", "label", "id", "cost"):
            yield self._command(
                main, f"Sort by {key}", f"Sort the list by {key}", lambda k=key: main.action_sort(k), "sort", "cycles"
            )  # type: ignore[misc]
        for title, help_text, callback, key_action in (
            ("Open batch details", "Every field of the batch under the cursor", main.action_open, "open"),
            ("Filter batches", "Regex over id, label, status and note", main.action_filter, "filter"),
            ("Clear the filter", "Show every batch again", main.action_clear_filter, "clear_filter"),
            ("Reverse the sort order", "Ascending or descending", main.action_reverse_sort, "reverse_sort"),
            ("Mark or unmark the batch", "Actions apply to every marked batch", main.action_mark, "mark"),
            ("Clear marks", "Unmark every batch", main.action_clear_marks, "clear_marks"),
            ("Show or hide live panes", "Toggle the live panes", main.action_toggle_live, "toggle_live"),
            (
                "Clear ended live panes",
                "Remove panes of batches that ended",
                main.action_clear_ended_panes,
                "clear_ended_panes",
            ),
        ):
            yield self._command(main, title, help_text, callback, key_action)

    def _command(
        self, screen: Screen[object], title: str, help_text: str, callback: object, action: str, how: str = ""
    ) -> SystemCommand:
        """A palette entry whose title ends with the key bound to `action` on `screen`, if any."""
        key = self._key_for(screen, action)
        suffix = f" ({key}{' ' + how if how else ''})" if key else ""
        return SystemCommand(title + suffix, help_text, callback)  # type: ignore[arg-type]

    def _key_for(self, screen: Screen[object], action: str) -> str | None:
        """The key bound to `action` (or `app.action`) on the screen or the app, as the footer shows it;
        a plain key before a ctrl combination (those often never arrive through tmux or SSH)."""
        names = {action, f"app.{action}", f"screen.{action}"}
        found = [
            binding
            for bindings in (screen._bindings, self._bindings)
            for _key, binding in bindings
            if binding.action in names
        ]
        found.sort(key=lambda binding: binding.key.startswith("ctrl+"))
        return self.get_key_display(found[0]) if found else None
