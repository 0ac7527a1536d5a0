"""Request counts per endpoint and status, for tests and benchmarks that count API calls."""

from __future__ import annotations

import threading
from collections import Counter


class Stats:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: Counter[str] = Counter()
        self._statuses: Counter[tuple[str, int]] = Counter()

    def record(self, endpoint: str, status: int) -> None:
        with self._lock:
            self._calls[endpoint] += 1
            self._statuses[(endpoint, status)] += 1

    def calls(self, endpoint: str | None = None) -> int:
        """Requests seen for one endpoint (create, retrieve, list, cancel, delete, results), or all."""
        with self._lock:
            return sum(self._calls.values()) if endpoint is None else self._calls[endpoint]

    def status_count(self, endpoint: str, status: int) -> int:
        with self._lock:
            return self._statuses[(endpoint, status)]

    def as_dict(self) -> dict[str, object]:
        with self._lock:
            return {
                "calls": dict(self._calls),
                "statuses": {f"{e} {s}": n for (e, s), n in sorted(self._statuses.items())},
            }

    def reset(self) -> None:
        with self._lock:
            self._calls.clear()
            self._statuses.clear()
