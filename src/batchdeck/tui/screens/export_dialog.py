"""`E`: choose the format, the rows and the file of an export; `enter` exports, `esc` cancels."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, RadioButton, RadioSet, Static

from batchdeck.core.export import FORMATS

FORMAT_LABELS = {"jsonl": "jsonl: the raw lines exactly as received",
                 "csv": "csv: custom_id, outcome, text, error, tokens, cost",
                 "text": "text: custom_id → text, one JSON object per line"}


@dataclass(frozen=True)
class ExportChoice:
    fmt: str
    subset: str  # view | marked | all
    path: Path


class ExportDialog(ModalScreen[ExportChoice | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, directory: Path, stem: str, subsets: dict[str, str]) -> None:
        super().__init__()
        self.directory = directory
        self.stem = stem
        self.subsets = subsets  # key -> label with its row count

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static("Export results", id="dialog-title")
            with RadioSet(id="export-format"):
                for index, (fmt, label) in enumerate(FORMAT_LABELS.items()):
                    yield RadioButton(label, value=index == 0, name=fmt)
            with RadioSet(id="export-subset"):
                for index, (key, label) in enumerate(self.subsets.items()):
                    yield RadioButton(label, value=index == 0, name=key)
            yield Input(value=str(self.directory / f"{self.stem}{FORMATS['jsonl']}"), id="export-path")
            yield Static("tab moves · space picks · enter in the path exports · esc cancels", id="dialog-hint")

    def on_mount(self) -> None:
        self.query_one("#export-format", RadioSet).focus()

    def _chosen(self, selector: str) -> str:
        pressed = self.query_one(selector, RadioSet).pressed_button
        return pressed.name if pressed is not None and pressed.name else ""

    def on_radio_set_changed(self, event: RadioSet.Changed) -> None:
        """A new format renames the file's extension, unless the user typed another name."""
        if event.radio_set.id != "export-format":
            return
        field = self.query_one("#export-path", Input)
        path = Path(field.value)
        for suffix in sorted(FORMATS.values(), key=len, reverse=True):
            if path.name.endswith(suffix):
                field.value = str(path.with_name(path.name[: -len(suffix)] + FORMATS[self._chosen("#export-format")]))
                break

    def on_input_submitted(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if not text:
            self.notify("give a file name", severity="warning")
            return
        self.dismiss(ExportChoice(self._chosen("#export-format") or "jsonl", self._chosen("#export-subset") or "view",
                                  Path(text).expanduser()))

    def action_cancel(self) -> None:
        self.dismiss(None)
