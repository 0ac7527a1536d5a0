"""Helpers shared by the submit, retry and jobs tests: request files and what the emulator received."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from batchdeck.emulator import DEFAULT_WORKSPACE, Emulator

DAY = 86400.0


def line(custom_id: str, text: str = "Classify: my invoice is wrong", **params: Any) -> bytes:
    """One request line as a user would write it (spaces after separators, non-ASCII kept)."""
    body: dict[str, Any] = {
        "model": "claude-haiku-4-5",
        "max_tokens": 64,
        "messages": [{"role": "user", "content": text}],
    }
    body.update(params)
    return json.dumps({"custom_id": custom_id, "params": body}, ensure_ascii=False).encode()


def write_requests(path: Path, n: int, prefix: str = "row", extra: list[bytes] | None = None) -> list[bytes]:
    lines = [line(f"{prefix}-{i:04d}", f"Résumé n°{i}: classify ticket {i}") for i in range(n)] + (extra or [])
    path.write_bytes(b"\n".join(lines) + b"\n")
    return lines


def compact(raw: bytes) -> bytes:
    """How the SDK sends a request line: compact JSON, UTF-8."""
    return json.dumps(json.loads(raw), ensure_ascii=False, separators=(",", ":")).encode()


def received(emulator: Emulator, batch_id: str) -> list[dict[str, Any]]:
    return json.loads(emulator.api.bodies[batch_id])["requests"]  # type: ignore[index]


def client_batches(emulator: Emulator) -> list[Any]:
    return [b for b in emulator.store.all_batches() if b.workspace == DEFAULT_WORKSPACE and not b.deleted]


def end_all(emulator: Emulator) -> None:
    emulator.advance(DAY + 60)


def settle_after(seconds: float) -> None:
    """Interrupted creates are called lost after `seconds` (batchdeck waits 30 s by default, in case the
    API is still making a batch whose answer was cut; the emulator makes it at once)."""
    from batchdeck.core.config import toml_file

    settings = toml_file.load()
    settings.settings["submit.settle_seconds"] = seconds
    toml_file.save(settings)
