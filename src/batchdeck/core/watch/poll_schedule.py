"""When to poll next: quick while batches are live, slow when nothing is, backing off on errors."""

from __future__ import annotations

from dataclasses import dataclass

LIVE_SECONDS = 5.0
IDLE_SECONDS = 60.0
MAX_BACKOFF_SECONDS = 300.0


@dataclass
class PollSchedule:
    live_seconds: float = LIVE_SECONDS
    idle_seconds: float = IDLE_SECONDS
    failures: int = 0

    def next_delay(self, live: int, ok: bool, retry_after: float | None = None) -> float:
        """Seconds until the next poll after one that found `live` live batches."""
        if ok:
            self.failures = 0
            return self.live_seconds if live else self.idle_seconds
        self.failures += 1
        backoff = min(MAX_BACKOFF_SECONDS, self.live_seconds * 2.0**self.failures)
        return max(backoff, retry_after or 0.0)
