"""`E`: choose the format, the rows and the file of an export; `enter` exports, `esc` cancels.

The file name follows the choices (the rows' name, the format's extension) until the user types their
own. An existing file is replaced only after a yes; a no comes back here with every choice kept."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, RadioButton, RadioSet, Static

from batchdeck.core.results.export import FORMATS
from batchdeck.core.terminal_text import visible
from batchdeck.tui.screens.confirm import ConfirmScreen
from batchdeck.tui.text import literal

FORMAT_LABELS = {
    "jsonl": "jsonl: the raw lines exactly as received",
    "csv": "csv: custom_id, outcome, text, error, tokens, cost",
    "text": "text: custom_id → text, one JSON object per line",
}


@dataclass(frozen=True)
class ExportChoice:
    fmt: str
    subset: str  # view | marked | all
    path: Path
    replace: bool = False  # the user said yes to replacing the existing file


class ExportDialog(ModalScreen[ExportChoice | None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, directory: Path, subsets: dict[str, str], stems: dict[str, str]) -> None:
        super().__init__()
        self.directory = directory
        self.subsets = subsets  # key -> label with its row count
        self.stems = stems  # key -> the file name (without extension) for those rows
        self.auto_name = self._file_name(next(iter(subsets)), "jsonl")  # the name we chose, until the user types one

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static("Export results", id="dialog-title")
            with RadioSet(id="export-format"):
                for index, (fmt, label) in enumerate(FORMAT_LABELS.items()):
                    yield RadioButton(label, value=index == 0, name=fmt)
            with RadioSet(id="export-subset"):
                for index, (key, label) in enumerate(self.subsets.items()):
                    yield RadioButton(label, value=index == 0, name=key)
            yield Input(value=str(self.directory / self.auto_name), id="export-path")
            yield Static("tab moves · space picks · enter in the path exports · esc cancels", id="dialog-hint")

    def on_mount(self) -> None:
        self.query_one("#export-format", RadioSet).focus()

    def _chosen(self, selector: str) -> str:
        pressed = self.query_one(selector, RadioSet).pressed_button
        return pressed.name if pressed is not None and pressed.name else ""

    def _file_name(self, subset: str, fmt: str) -> str:
        return f"{self.stems[subset]}{FORMATS[fmt]}"

    def on_radio_set_changed(self, event: RadioSet.Changed) -> None:
        """New rows or a new format rename the file, unless the user typed a name of their own (then a new
        format still changes its extension)."""
        field = self.query_one("#export-path", Input)
        path = Path(field.value)
        fmt = self._chosen("#export-format") or "jsonl"
        if path.name == self.auto_name:
            self.auto_name = self._file_name(self._chosen("#export-subset") or next(iter(self.subsets)), fmt)
            field.value = str(path.with_name(self.auto_name))
            return
        if event.radio_set.id != "export-format":
            return
        for suffix in sorted(FORMATS.values(), key=len, reverse=True):
            if path.name.endswith(suffix):
                field.value = str(path.with_name(path.name[: -len(suffix)] + FORMATS[fmt]))
                break

    def on_input_submitted(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if not text:
            self.notify("give a file name", severity="warning")
            return
        choice = ExportChoice(
            self._chosen("#export-format") or "jsonl", self._chosen("#export-subset") or "view", Path(text).expanduser()
        )
        if not choice.path.exists():
            self.dismiss(choice)
            return

        def answer(yes: bool | None) -> None:
            if yes:
                self.dismiss(ExportChoice(choice.fmt, choice.subset, choice.path, replace=True))
            else:
                self.query_one("#export-path", Input).focus()  # back here, every choice as it was

        self.app.push_screen(
            ConfirmScreen("Replace the file?", f"{literal(visible(str(choice.path)))} exists.", "Replace"), answer
        )

    def action_cancel(self) -> None:
        self.dismiss(None)
