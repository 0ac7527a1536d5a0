"""Everything done for a batch that has just ended: keep its results, export them, run the hooks.

The steps come from `EndActions`, built from the `hooks.*` settings with the `watch` flags on
top. Each step reports a `HookOutcome`; a failed download skips the export but never the
hooks, and nothing here raises for a step's failure, foreseen or not (Ctrl-C still goes through).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from batchdeck.core.batches.models import CachedBatch
from batchdeck.core.config.settings import HookSettings
from batchdeck.core.errors import BatchdeckError
from batchdeck.core.results.download import ensure_downloaded, results_path
from batchdeck.core.results.export import FORMATS, export_saved
from batchdeck.core.terminal_text import visible
from batchdeck.core.watch.hooks import run_hooks
from batchdeck.core.watch.outcome import HookOutcome
from batchdeck.core.workspace import Workspace


@dataclass(frozen=True)
class EndActions:
    on_end: str = ""
    webhook: str = ""
    download: bool = False
    export_dir: str = ""
    export_format: str = "jsonl"
    timeout: float = 60.0

    @classmethod
    def from_settings(cls, hooks: HookSettings) -> EndActions:
        """The `hooks.*` settings of a workspace (a profile's own over the global ones)."""
        return cls(hooks.on_end, hooks.webhook, hooks.download, hooks.export_dir, hooks.export_format, hooks.timeout)

    def override(self, **values: Any) -> EndActions:
        """These actions with every value that is not None replaced (command-line flags over config)."""
        return replace(self, **{k: v for k, v in values.items() if v is not None})

    @property
    def wants_results(self) -> bool:
        return self.download or bool(self.export_dir)

    def step_names(self) -> list[str]:
        """Short phrases for the start-up line: `download`, `export csv to DIR`, `on-end command`, `webhook`."""
        parts = ["download results"] if self.download else []
        parts += [f"export {self.export_format} to {self.export_dir}"] if self.export_dir else []
        parts += ["on-end command"] if self.on_end else []
        parts += ["webhook"] if self.webhook else []
        return parts


def finish_batch(ws: Workspace, batch: CachedBatch, actions: EndActions) -> list[HookOutcome]:
    """Download (when asked), export (when asked), then run the hooks with the paths that exist."""
    outcomes: list[HookOutcome] = []
    saved: Path | None = results_path(ws, batch.id) if batch.results_saved else None
    exported: Path | None = None
    if actions.wants_results and batch.counts.total and not batch.deleted_at:
        saved, outcome = _download(ws, batch)
        outcomes.append(outcome)
        if saved is not None and actions.export_dir:
            exported, outcome = _export(ws, batch.id, actions)
            outcomes.append(outcome)
    outcomes += run_hooks(
        ws.config,
        ws.profile,
        batch,
        saved,
        exported,
        on_end=actions.on_end,
        webhook=actions.webhook,
        timeout=actions.timeout,
    )
    return outcomes


def _download(ws: Workspace, batch: CachedBatch) -> tuple[Path | None, HookOutcome]:
    try:
        ensure_downloaded(ws, batch.id)
    except Exception as exc:
        return None, HookOutcome("download", False, f"results of {batch.id} not downloaded: {_reason(exc)}")
    path = results_path(ws, batch.id)
    result_set = ws.results.result_set(batch.id)
    rows = f"{result_set.rows:,} results" if result_set else "results"
    return path, HookOutcome("download", True, f"{rows} of {batch.id} saved to {path}")


def _export(ws: Workspace, batch_id: str, actions: EndActions) -> tuple[Path | None, HookOutcome]:
    if actions.export_format not in FORMATS:
        return None, HookOutcome("export", False, f"unknown export format {actions.export_format!r}")
    directory = Path(actions.export_dir).expanduser()
    try:
        report = export_saved(ws, batch_id, directory, actions.export_format)
    except Exception as exc:
        return None, HookOutcome("export", False, f"results of {batch_id} not exported to {directory}: {_reason(exc)}")
    return report.path, HookOutcome("export", True, f"exported {report.rows:,} results to {report.path}")


def _reason(exc: Exception) -> str:
    """One line for a failed step: ours as they are, the system's by their reason, anything else as a bug."""
    if isinstance(exc, BatchdeckError):
        return str(exc)
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return f"internal error ({type(exc).__name__}: {visible(str(exc))})"
