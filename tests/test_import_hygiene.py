"""Import rules: non-UI code never loads Textual or rich; the emulator imports no other batchdeck code."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "batchdeck"
UI_PACKAGES = ("tui",)


def _modules(package: Path, root: Path = SRC.parent) -> list[str]:
    return sorted(
        ".".join(p.relative_to(root).with_suffix("").parts).removesuffix(".__init__")
        for p in package.rglob("*.py")
        if p.parent.name != "__pycache__"
    )


NON_UI = [
    m for m in _modules(SRC) if m.split(".")[1:2] not in ([p] for p in UI_PACKAGES) and not m.endswith("__main__")
]


def _loaded_after(code: str) -> set[str]:
    probe = f"import sys\n{code}\nprint('\\n'.join(sys.modules))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    return set(out.split())


@pytest.mark.parametrize("module", NON_UI)
def test_non_ui_module_does_not_load_textual_or_rich(module: str) -> None:
    loaded = _loaded_after(f"import {module}")
    assert not {m for m in loaded if m.split(".")[0] in ("textual", "rich")}


def test_cli_help_path_does_not_load_textual() -> None:
    loaded = _loaded_after("from batchdeck.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass")
    assert not {m for m in loaded if m.split(".")[0] in ("textual", "rich")}


def test_emulator_imports_only_itself() -> None:
    """The emulator encodes the API, not our client's assumptions: no batchdeck import outside it."""
    offenders = []
    for path in (SRC / "emulator").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else ([node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            )
            offenders += [
                f"{path.name}: {n}"
                for n in names
                if n.startswith("batchdeck") and not n.startswith("batchdeck.emulator")
            ]
    assert offenders == []
    loaded = _loaded_after("import batchdeck.emulator")
    assert {m for m in loaded if m.startswith("batchdeck")} - {"batchdeck"} <= {
        m for m in loaded if m.startswith("batchdeck.emulator")
    }
