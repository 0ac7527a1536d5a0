"""Messages from workers to the app: one per load or poll, never one per row."""

from __future__ import annotations

from datetime import datetime

from textual.message import Message

from batchdeck.core.actions import Outcome
from batchdeck.core.cache import SyncState
from batchdeck.core.models import CachedBatch
from batchdeck.core.sync import SyncReport


class DataLoaded(Message):
    """The cache's batches after a load (`report` None) or a poll."""

    def __init__(self, batches: list[CachedBatch], history: list[tuple[int, float]], state: SyncState,
                 report: SyncReport | None = None, at: datetime | None = None) -> None:
        super().__init__()
        self.batches = batches
        self.history = history
        self.state = state
        self.report = report
        self.at = at
        self.number = 0  # the controller's snapshot number; 0 = not a cache read (a failed poll)


class ActionFinished(Message):
    def __init__(self, verb: str, outcomes: list[Outcome]) -> None:
        super().__init__()
        self.verb = verb
        self.outcomes = outcomes
