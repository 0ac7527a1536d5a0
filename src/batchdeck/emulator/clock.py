"""The emulator's virtual clock: real time scaled by a speed factor, plus explicit jumps.

`speed=60` runs one simulated minute per real second; `speed=0` freezes time so tests
move it only with `advance()`.
"""

from __future__ import annotations

import math
import threading
import time
from datetime import UTC, datetime


class VirtualClock:
    """A thread-safe clock whose time runs at `speed` times real time."""

    def __init__(self, start: float | None = None, speed: float = 1.0) -> None:
        _check_speed(speed)
        self._lock = threading.Lock()
        self._anchor_virtual = time.time() if start is None else start
        self._anchor_mono = time.monotonic()
        self._speed = speed

    @property
    def speed(self) -> float:
        return self._speed

    def now(self) -> float:
        """Current virtual time as a POSIX timestamp (seconds, float)."""
        with self._lock:
            return self._anchor_virtual + (time.monotonic() - self._anchor_mono) * self._speed

    def now_dt(self) -> datetime:
        return datetime.fromtimestamp(self.now(), tz=UTC)

    def _reanchor(self, virtual: float) -> None:
        self._anchor_virtual = virtual
        self._anchor_mono = time.monotonic()

    def advance(self, seconds: float) -> float:
        """Jump forward by `seconds` of virtual time; returns the new time."""
        if not (math.isfinite(seconds) and seconds >= 0):
            raise ValueError(f"the virtual clock only moves forward by a finite amount, got {seconds}")
        with self._lock:
            now = self._anchor_virtual + (time.monotonic() - self._anchor_mono) * self._speed
            self._reanchor(now + seconds)
            return self._anchor_virtual

    def set_time(self, when: float) -> None:
        """Set the virtual time outright (used when seeding or restoring state)."""
        with self._lock:
            self._reanchor(when)

    def set_speed(self, speed: float) -> None:
        _check_speed(speed)
        with self._lock:
            now = self._anchor_virtual + (time.monotonic() - self._anchor_mono) * self._speed
            self._reanchor(now)
            self._speed = speed


def _check_speed(speed: float) -> None:
    if not (math.isfinite(speed) and speed >= 0):
        raise ValueError(f"speed must be a finite number, 0 or more, got {speed}")


def rfc3339(ts: float) -> str:
    """Format a timestamp like the API: UTC, microseconds, `Z` suffix."""
    return datetime.fromtimestamp(ts, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
