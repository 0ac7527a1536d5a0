"""`?`: every key of the screen underneath, with what it does."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

# Textual's own bindings (focus, scrolling, copying a selection); a screen's own `copy_text` (results: Y) stays.
_NOISE = ("app.focus", "scroll_", "page_left", "page_right", "screen.copy_text")


def key_table(screen: Screen[object]) -> str:
    rows: dict[str, str] = {}
    for active in screen.active_bindings.values():
        binding = active.binding
        if not binding.description or binding.action.startswith(_NOISE):
            continue
        label = screen.app.get_key_display(binding)
        rows.setdefault(binding.description, label)
        if label not in rows[binding.description].split(" / "):
            rows[binding.description] += f" / {label}"
    width = max((len(k) for k in rows.values()), default=0)
    return "\n".join(f"[b]{keys.ljust(width)}[/]  {description}" for description, keys in rows.items())


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q,question_mark", "dismiss", "Close")]

    def __init__(self, underneath: Screen[object], title: str) -> None:
        super().__init__()
        self.text = key_table(underneath)
        self.title_text = title

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="dialog"):
            yield Static(f"[b]{self.title_text}[/] — keys", id="dialog-title")
            yield Static(self.text, id="help-keys")
            yield Static("Every action is also in the command palette (: or ctrl+p). esc closes.", id="dialog-hint")
