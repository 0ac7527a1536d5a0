"""The TUI's structure: no import cycle hidden behind `TYPE_CHECKING`, and no helper holding the app."""

from __future__ import annotations

import ast
from pathlib import Path

import batchdeck.tui
from batchdeck.tui.messages import DownloadProgress, ExportProgress

TUI = Path(batchdeck.tui.__file__).parent


def test_no_tui_module_hides_an_import_behind_type_checking() -> None:
    """A `TYPE_CHECKING` import in tui/ meant a helper that held the app or a screen (an import cycle)."""
    modules = sorted(TUI.rglob("*.py"))
    assert len(modules) > 20
    hiding = [str(p.relative_to(TUI)) for p in modules if "TYPE_CHECKING" in p.read_text()]
    assert hiding == []


def test_no_tui_object_keeps_a_pointer_to_the_app_or_a_screen() -> None:
    """`self.app = app` / `self.screen = screen`: a back-pointer (Textual's own `self.app` is the way in)."""
    found = []
    for path in sorted(TUI.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Attribute) and ast.unparse(target) in ("self.app", "self.screen"):
                        found.append(f"{path.relative_to(TUI)}:{node.lineno}")
    assert found == []


def test_progress_messages_merge_per_download_and_per_export() -> None:
    """A newer progress message replaces a queued one of the same work (toolong's `can_replace`), never another's,
    and an export's last word (`over`) is never replaced."""
    assert DownloadProgress("msgbatch_a", 2, 2).can_replace(DownloadProgress("msgbatch_a", 1, 1))
    assert not DownloadProgress("msgbatch_a", 2, 2).can_replace(DownloadProgress("msgbatch_b", 1, 1))
    path = Path("out.jsonl")
    assert ExportProgress(path, 20, 100).can_replace(ExportProgress(path, 10, 100))
    assert not ExportProgress(path, 20, 100).can_replace(ExportProgress(Path("other.jsonl"), 10, 100))
    assert not ExportProgress(path, 0, None, over=True).can_replace(ExportProgress(path, 10, 100))
