"""Optional state directory, so a restarted emulator keeps its batches and its clock.

Layout: `emulator.json` (clock and seed), `batches/<id>.json` (one small file per batch,
rewritten on each change) and `batches/<id>.requests.jsonl` (the plans of a created batch,
written once, before its metadata, so a half-written batch is never loaded).
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from batchdeck.emulator.batch import Batch
from batchdeck.emulator.sources import ExplicitSource, source_from_json

FORMAT = 1


def _write_atomic(path: Path, data: bytes) -> None:
    """Write via a temp file of this call's own, so concurrent writers never share one."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class StateDir:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.batches = self.path / "batches"
        self._lock = threading.Lock()
        try:
            self.batches.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ValueError(f"cannot use {self.path} as the emulator's state directory: {exc.strerror}") from None

    @property
    def meta_file(self) -> Path:
        return self.path / "emulator.json"

    def exists(self) -> bool:
        return self.meta_file.exists()

    def save_meta(self, virtual_now: float, seed: int) -> None:
        meta = {"format": FORMAT, "virtual_now": virtual_now, "wall_now": time.time(), "seed": seed}
        with self._lock:
            _write_atomic(self.meta_file, json.dumps(meta).encode())

    def load_meta(self, speed: float) -> dict[str, Any]:
        """Meta with `virtual_now` moved on by the real time that passed while stopped."""
        try:
            meta: dict[str, Any] = json.loads(self.meta_file.read_text())
            meta["virtual_now"] += max(0.0, time.time() - meta["wall_now"]) * speed
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ValueError(
                f"emulator state {self.meta_file} is unreadable ({exc}); remove the directory to start afresh"
            ) from None
        return meta

    def save_batch(self, batch: Batch) -> None:
        with self._lock:
            if isinstance(batch.source, ExplicitSource):
                plans_file = self.batches / f"{batch.id}.requests.jsonl"
                if not plans_file.exists():
                    rows = b"".join(json.dumps(r).encode() + b"\n" for r in batch.source.rows())
                    _write_atomic(plans_file, rows)
            _write_atomic(self.batches / f"{batch.id}.json", json.dumps(batch.to_json()).encode())

    def load_batches(self) -> list[Batch]:
        loaded = []
        for meta_file in sorted(self.batches.glob("*.json")):
            try:
                data = json.loads(meta_file.read_text())
                rows = None
                if data["source"]["kind"] == "explicit":
                    with open(self.batches / f"{data['id']}.requests.jsonl") as fh:
                        rows = [json.loads(line) for line in fh]
                loaded.append(Batch.from_json(data, source_from_json(data["source"], iter(rows or []))))
            except (OSError, ValueError, KeyError, TypeError) as exc:
                raise ValueError(
                    f"emulator state {meta_file} is unreadable ({type(exc).__name__}: {exc}); "
                    f"remove {self.path} to start afresh"
                ) from None
        return loaded
