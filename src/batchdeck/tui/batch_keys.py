"""The keys that act on batches, wherever they are bound (the list, the details, the results, a job): what
`core.batches.rules` allows is offered; a key pressed for what it refuses says the rule's one line why.

A base of the app (the actions are `app.*` in every screen's bindings); it holds no rule of its own. The
screens a key opens are imported when it is first pressed: the first frame shows the list alone.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from textual.actions import ActionParseResult
from textual.app import App
from textual.dom import DOMNode
from textual.screen import ModalScreen

from batchdeck.core.batches import rules
from batchdeck.core.batches.models import CachedBatch
from batchdeck.core.batches.phrases import counted
from batchdeck.core.session import Session
from batchdeck.core.terminal_text import visible
from batchdeck.tui.clipboard import copied_text
from batchdeck.tui.questions import as_now, question
from batchdeck.tui.screens.main import MainScreen
from batchdeck.tui.signals import Downloads, Signals
from batchdeck.tui.text import literal

RULED = {
    "cancel_batches": "cancel",
    "delete_batches": "delete",
    "label_batch": "label",
    "note_batch": "note",
    "resubmit": "resubmit",
    "open_job": "job",
    "export_batches": "export",
}
"""Actions governed by `core.batches.rules`: the app's action name -> the rule's."""


class BatchKeys(App[None]):
    session: Session
    readonly: bool
    main: MainScreen
    signals: Signals
    downloads: Downloads
    _pressing = 0  # > 0 while a key's action runs (see run_action)

    # -- what the rules allow -----------------------------------------------------------------
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
        if screen is self.main:  # the list offers every key (the rule speaks when one is pressed)
            return True
        from batchdeck.tui.screens.detail import DetailScreen

        if isinstance(screen, DetailScreen):  # one batch: offer only what it allows
            return rules.refusal(rule, screen.shown_batch, in_job=self._in_job(screen.shown_batch)) is None
        return True

    def _in_job(self, batch: CachedBatch) -> bool | None:
        job_batches = self.main.feed.job_batches
        return None if job_batches is None else batch.id in job_batches

    def refuse(self, line: str) -> None:
        """A key that cannot act says why, in one line."""
        self.notify(line, severity="warning", timeout=8, markup=False)

    def _selection(self) -> list[CachedBatch]:
        """The marked batches, or the one under the cursor, of the screen in front (none on other screens)."""
        from batchdeck.tui.screens.detail import DetailScreen

        screen = self.screen
        return screen.selection() if isinstance(screen, (MainScreen, DetailScreen)) else []

    def _allowed(self, action: str) -> rules.Sorted | None:
        """The marked (or cursor) batches split by the rule; None, after saying why, when none can take `action`."""
        chosen = rules.sort_out(action, self._selection(), self.readonly, self.main.feed.job_batches)
        if not chosen.allowed:
            self.refuse(chosen.refusal_line())
            return None
        return chosen

    def _current(self) -> CachedBatch | None:
        """The batch under the cursor of the list, or of the detail and results screens."""
        screen = self.screen
        if isinstance(screen, MainScreen):
            return screen.current()
        from batchdeck.tui.screens.detail import DetailScreen
        from batchdeck.tui.screens.results import ResultsScreen

        return screen.shown_batch if isinstance(screen, (DetailScreen, ResultsScreen)) else None

    # -- actions ------------------------------------------------------------------------------
    def _confirm(self, verb: str) -> None:
        """Cancel or delete, after a dialog that names the batches; the rule is asked again on the answer."""
        chosen = self._allowed(verb)
        if chosen is None:
            return

        def answer(yes: bool | None) -> None:
            if yes:
                feed = self.main.feed
                now, line = as_now(chosen, feed.batches, self.readonly, feed.job_batches)
                if line:
                    self.refuse(line)
                if now.allowed:
                    (feed.cancel if verb == "cancel" else feed.delete)([b.id for b in now.allowed])

        self.push_screen(question(chosen), answer)

    def action_cancel_batches(self) -> None:
        self._confirm("cancel")

    def action_delete_batches(self) -> None:
        self._confirm("delete")

    def _edit(self, field: str) -> None:
        chosen = self._allowed(field)
        if chosen is None:
            return
        batch = chosen.allowed[0]

        def save(text: str | None) -> None:
            if text is not None:
                self.main.feed.save_meta(batch.id, field, text or None)

        from batchdeck.tui.screens.prompt import PromptScreen

        # an older cache can hold an id the API check would now refuse: shown, never read as markup
        title = f"{field.capitalize()} for {literal(visible(batch.id))}"
        self.push_screen(PromptScreen(title, getattr(batch, field) or ""), save)

    def action_label_batch(self) -> None:
        self._edit("label")

    def action_note_batch(self) -> None:
        self._edit("note")

    def action_copy_id(self) -> None:
        batches = self._selection()
        if batches:
            text = "\n".join(b.id for b in batches)
            self.copy_to_clipboard(text)
            what = text if len(batches) == 1 else f"{len(batches):,} ids"
            self.notify(copied_text(what, os.environ), timeout=8, markup=False)

    def action_open_results(self) -> None:
        from batchdeck.tui.screens.results import ResultsScreen

        batch = self._current()
        if batch is not None and not isinstance(self.screen, ResultsScreen):
            self.push_screen(ResultsScreen(self.session, batch, self.downloads, self.signals))

    def action_resubmit(self) -> None:
        """`R`: resend the failed rows of the batch (on the results screen: of the marked rows, if any)."""
        batch = self._current()
        if batch is None:
            return
        why = rules.why_not("resubmit", batch, self.readonly)
        if why:
            self.refuse(why)
            return
        from batchdeck.tui.screens.results import ResultsScreen

        marked = self.screen.marked_ids() if isinstance(self.screen, ResultsScreen) else set()
        self.start_retry(batch.id, tuple(sorted(marked)) or None)

    def start_retry(self, target: str, only: tuple[str, ...] | None = None) -> None:
        if self.readonly:
            self.refuse(rules.line("resubmit", target, rules.READONLY))
            return
        self.main.resubmitter.start(target, only)

    def action_open_job(self) -> None:
        batch = self._current()
        if batch is None:
            return
        why = rules.why_not("job", batch, in_job=self._in_job(batch))
        if why:
            self.refuse(why)
            return
        from batchdeck.tui.screens.job import JobScreen

        self.push_screen(JobScreen(self.session, batch.id, self.signals))

    def action_export_batches(self) -> None:
        """`e` on the list: the results of every marked (or the selected) ended batch, raw JSONL, one file each."""
        chosen = self._allowed("export")
        if chosen is None:
            return
        self.main.keeper.export_batches([b.id for b in chosen.allowed])
        skipped = f" ({chosen.skipped_line()})" if chosen.refused else ""
        what = counted(len(chosen.allowed), "batch", "batches")
        self.notify(f"exporting the results of {what}…{skipped}", timeout=6, markup=False)
