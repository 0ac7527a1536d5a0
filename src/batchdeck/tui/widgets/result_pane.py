"""The detail of the result under the cursor: facts, then each content block (thinking folded), or the error."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.rule import Rule
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from batchdeck.core.result_detail import ResultDetail


def detail_renderable(detail: ResultDetail, show_thinking: bool) -> RenderableType:
    facts = Table.grid(padding=(0, 2))
    facts.add_column(style="bold", no_wrap=True)
    facts.add_column()
    facts.add_row("custom_id", Text(detail.custom_id))
    for name, value in detail.facts:
        facts.add_row(name, Text(value))
    parts: list[RenderableType] = [facts]
    for block in detail.blocks:
        parts.append(Rule(Text(block.title), align="left", style="dim"))
        if block.kind == "thinking" and not show_thinking:
            parts.append(Text(f"▸ {len(block.body):,} characters of thinking, folded · z unfolds", style="dim italic"))
        elif block.kind in ("tool_use", "other"):
            parts.append(Syntax(block.body, "json", theme="ansi_dark", word_wrap=True, background_color="default"))
        else:
            parts.append(Text(block.body, style="dim italic" if block.kind != "text" else ""))
    if detail.error:
        parts += [Rule(Text("error"), align="left", style="dim"),
                  Syntax(detail.error, "json", theme="ansi_dark", word_wrap=True, background_color="default")]
    return Group(*parts)


class ResultPane(VerticalScroll, can_focus=True):
    """Scrolls with the keyboard when focused (tab from the list)."""

    def compose(self):  # type: ignore[no-untyped-def]
        yield Static(id="result-pane-body")

    def show(self, detail: ResultDetail | None, show_thinking: bool, placeholder: str = "") -> None:
        body = self.query_one("#result-pane-body", Static)
        body.update(detail_renderable(detail, show_thinking) if detail else Text(placeholder, style="dim"))
        self.scroll_home(animate=False)
