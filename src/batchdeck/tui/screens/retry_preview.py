"""`R`: what a resubmission would send, by category, with its cost; pick the categories, then send or keep.

The plan comes from core (`core.retry.plan_retry`) in a worker; ticking a category asks for a
new plan, so the counts and the cost shown are always those that `Send` would act on.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from rich.segment import Segment
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.strip import Strip
from textual.widgets import Button, Checkbox, SelectionList, Static
from textual.widgets.option_list import OptionDoesNotExist

from batchdeck.core.jobs.retry import RetryPlan, included
from batchdeck.core.terminal_text import visible
from batchdeck.tui.text import literal

TICKED, UNTICKED = "✓", " "


class CategoryList(SelectionList[str]):
    """A SelectionList whose box shows ✓ when ticked and stays empty when not, so the state never rests
    on colour alone (16 colours, colour blindness, a monochrome terminal)."""

    def render_line(self, y: int) -> Strip:
        strip = super().render_line(y)
        try:
            option = self.get_option_at_index(self.scroll_offset.y + y)
        except OptionDoesNotExist:
            return strip
        segments = list(strip)
        if len(segments) < 2 or segments[1].text != Checkbox.BUTTON_INNER:
            return strip
        glyph = TICKED if option.value in self.selected else UNTICKED
        segments[1] = Segment(glyph, segments[1].style, segments[1].control)
        return Strip(segments, strip.cell_length)


class RetryPreview(ModalScreen[RetryPlan | None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,n", "keep", "Cancel"),
        Binding("y", "send", "Send"),
    ]

    def __init__(self, plan: RetryPlan, replan: Callable[[tuple[str, ...]], None]) -> None:
        super().__init__()
        self.plan = plan
        self.replan = replan
        self.waiting = False

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(self._title(), id="dialog-title")
            yield CategoryList(*self._choices(), id="retry-categories")
            yield Static(id="retry-summary")
            with Horizontal(id="dialog-buttons"):
                yield Button("Cancel", id="no", variant="primary")
                yield Button(self._send_label(), id="yes", variant="error")
            yield Static("space ticks a category · tab to the buttons · y sends · esc cancels", id="dialog-hint")

    def _title(self) -> str:
        return f"Resubmit failed rows of {literal(visible(self.plan.target_batch or self.plan.job_id))}?"

    def _choices(self) -> list[tuple[str, str, bool]]:
        return [
            (f"{literal(visible(category))}  ({n:,})", category, included(category, self.plan.include))
            for category, n in sorted(self.plan.categories.items())
        ]

    def _send_label(self) -> str:
        count = len(self.plan.selected)
        return f"Send {count:,} request{'' if count == 1 else 's'}"

    def on_mount(self) -> None:
        self.show_plan(self.plan)
        self.query_one(CategoryList).focus()  # the first thing to decide is what to resend

    def show_plan(self, plan: RetryPlan) -> None:
        """A fresh plan for the ticked categories: its summary, and what Send would send."""
        self.plan, self.waiting = plan, False
        lines = [line for line in plan.summary_lines()[1:] if not line.startswith("  ")]  # categories are the list
        kept = [c for c in plan.categories if not included(c, plan.include)]
        if kept:
            lines.append(
                f"not ticked: {', '.join(sorted(kept))} (validation errors fail again unless the request changes)"
            )
        # error types, custom_ids and file names: untrusted, so shown as they are, never read as markup
        self.query_one("#retry-summary", Static).update("\n".join(literal(visible(line)) for line in lines))
        send = self.query_one("#yes", Button)
        send.label = self._send_label()
        send.disabled = not plan.has_work

    def on_selection_list_selected_changed(self, event: SelectionList.SelectedChanged[str]) -> None:
        chosen = tuple(event.selection_list.selected)
        if set(chosen) != {c for c in self.plan.categories if included(c, self.plan.include)}:
            self.waiting = True
            self.query_one("#yes", Button).disabled = True
            self.query_one("#retry-summary", Static).update("planning…")
            self.replan(chosen or ("none",))

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "yes":
            self.action_send()
        else:
            self.action_keep()

    def action_send(self) -> None:
        if not self.waiting and self.plan.has_work:
            self.dismiss(self.plan)

    def action_keep(self) -> None:
        self.dismiss(None)
