"""The detail of the result under the cursor: facts, then each content block (thinking folded), or the error."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.rule import Rule
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from batchdeck.core.batches.phrases import counted
from batchdeck.core.results.detail import ResultDetail
from batchdeck.core.terminal_text import visible, visible_block


def detail_renderable(detail: ResultDetail, show_thinking: bool) -> RenderableType:
    """Everything from the results file (custom_id, facts, model text, JSON) with control characters shown."""
    facts = Table.grid(padding=(0, 2))
    facts.add_column(style="bold", no_wrap=True)
    facts.add_column()
    facts.add_row("custom_id", Text(visible(detail.custom_id)))
    for name, value in detail.facts:
        facts.add_row(name, Text(visible(value)))
    parts: list[RenderableType] = [facts]
    for block in detail.blocks:
        parts.append(Rule(Text(visible(block.title)), align="left", style="dim"))
        if block.kind == "thinking" and not show_thinking:
            folded = f"▸ {counted(len(block.body), 'character')} of thinking, folded · z unfolds"
            parts.append(Text(folded, style="dim italic"))
        elif block.kind in ("tool_use", "other"):
            parts.append(_json(block.body))
        else:
            parts.append(Text(visible_block(block.body), style="dim italic" if block.kind != "text" else ""))
    if detail.error:
        parts += [Rule(Text("error"), align="left", style="dim"), _json(detail.error)]
    return Group(*parts)


def _json(body: str) -> Syntax:
    """Pretty JSON, coloured; C1 controls and bidi overrides (which JSON may carry raw) shown visibly."""
    return Syntax(visible_block(body), "json", theme="ansi_dark", word_wrap=True, background_color="default")


class ResultPane(VerticalScroll, can_focus=True):
    """Scrolls with the keyboard when focused (tab from the list)."""

    def compose(self):  # type: ignore[no-untyped-def]
        yield Static(id="result-pane-body")

    def show(self, detail: ResultDetail | None, show_thinking: bool, placeholder: str = "") -> None:
        body = self.query_one("#result-pane-body", Static)
        body.update(detail_renderable(detail, show_thinking) if detail else Text(visible(placeholder), style="dim"))
        self.scroll_home(animate=False)
