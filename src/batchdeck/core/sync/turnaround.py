"""How long a batch of a given size usually takes in this workspace, from the cache's history.

The API reports no progress until a batch ends, so live views show this instead of a bar:
"batches of ~500 requests here usually take 42m (slowest 1h 10m), from 12 past batches".
"""

from __future__ import annotations

import heapq
import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

MIN_SAMPLES = 3


@dataclass(frozen=True)
class Turnaround:
    typical_seconds: float  # median
    slow_seconds: float  # 90th percentile
    based_on: int
    smallest: int
    largest: int


def estimate(history: Sequence[tuple[int, float]], size: int) -> Turnaround | None:
    """From (request total, seconds) of batches that ended by themselves; None without history."""
    usable = [(n, s) for n, s in history if n > 0 and s >= 0]
    if not usable:
        return None
    size = max(size, 1)
    similar = [(n, s) for n, s in usable if size / 3 <= n <= size * 3]
    if not similar:  # nothing of a like size: the nearest few, and `based_on` says how thin it is
        target = math.log(size)  # nsmallest: sorted(...)[:n] without sorting a long history
        similar = heapq.nsmallest(MIN_SAMPLES, usable, key=lambda h: abs(math.log(h[0]) - target))
    seconds = sorted(s for _, s in similar)
    slow = seconds[min(len(seconds) - 1, math.ceil(0.9 * len(seconds)) - 1)]
    return Turnaround(
        statistics.median(seconds), slow, len(similar), min(n for n, _ in similar), max(n for n, _ in similar)
    )


def overdue(guess: Turnaround | None, elapsed_seconds: float) -> bool:
    """A live batch running past the slow end of what batches of its size take here (the 90th percentile).

    Not the median: half of all batches run past it, so "overdue" would then flag every other batch and
    mean nothing; past the slow end it means this one is unusually slow."""
    return guess is not None and elapsed_seconds > guess.slow_seconds
