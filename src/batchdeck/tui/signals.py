"""Cross-screen news: the app owns one `Signal` per kind of news, and a screen that cares subscribes on mount.

No node loops over the screen stack looking for screens of a type: the batch list publishes each new
snapshot (the details screen follows it), the results keeper publishes download news (a results
screen waiting for that batch carries on), a resubmission publishes the job it changed (an open job
screen reloads). Subscriptions end by themselves when a screen is removed.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from textual.dom import DOMNode
from textual.signal import Signal

from batchdeck.tui.messages import DownloadFinished, DownloadProgress, Snapshot


@dataclass(frozen=True)
class Signals:
    snapshot: Signal[Snapshot]
    download: Signal[DownloadProgress | DownloadFinished]
    job: Signal[str]

    @classmethod
    def owned_by(cls, owner: DOMNode) -> Signals:
        return cls(Signal(owner, "snapshot"), Signal(owner, "download"), Signal(owner, "job"))


class Downloads:
    """The batch ids being downloaded, shared by the workers that download and the screens that wait.

    Thread-safe: a worker claims a batch before it starts and releases it when done, so the same batch is
    never fetched twice at once (the user's `o` and the background downloads)."""

    def __init__(self) -> None:
        self._ids: set[str] = set()
        self._lock = threading.Lock()

    def claim(self, batch_id: str) -> bool:
        with self._lock:
            if batch_id in self._ids:
                return False
            self._ids.add(batch_id)
            return True

    def release(self, batch_id: str) -> None:
        with self._lock:
            self._ids.discard(batch_id)

    def __contains__(self, batch_id: object) -> bool:
        with self._lock:
            return batch_id in self._ids
