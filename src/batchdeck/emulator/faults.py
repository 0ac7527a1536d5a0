"""Injected failures: rate-based (seeded) and queued one-offs, for /v1 endpoints only.

Kinds: `429` (with a small `retry-after`), `500`, `529`, `slow` (delay then answer),
`drop` (close the connection before doing anything), `drop_after` (do the work, then close
without answering: an uncertain create), and `cut` (results stream stops mid-line).
"""

from __future__ import annotations

import math
import random
import threading
from collections import deque
from dataclasses import dataclass, fields

KINDS = ("429", "500", "529", "slow", "drop", "drop_after", "cut")
_SETTINGS = ("slow_seconds", "retry_after", "cut_after_bytes", "seed")


@dataclass
class FaultConfig:
    rate_429: float = 0.0
    rate_500: float = 0.0
    rate_529: float = 0.0
    rate_slow: float = 0.0
    rate_drop: float = 0.0
    rate_drop_after: float = 0.0
    rate_cut: float = 0.0
    slow_seconds: float = 1.0
    retry_after: float = 1.0  # seconds, sent in `retry-after` with every injected 429/500/529
    cut_after_bytes: int = 100_000  # a cut results stream stops mid-line near this offset
    seed: int | None = None

    def rates(self) -> dict[str, float]:
        return {f.name[5:]: getattr(self, f.name) for f in fields(self) if f.name.startswith("rate_")}


def parse_fault_spec(spec: str) -> FaultConfig:
    """Parse `429=0.1,529=0.05,drop=0.02,slow_seconds=0.5` into a FaultConfig."""
    config = FaultConfig()
    for part in filter(None, (p.strip() for p in spec.split(","))):
        name, sep, value = part.partition("=")
        name = name.strip()
        attr = name if name in _SETTINGS else f"rate_{name}"
        if not sep or not hasattr(config, attr):
            raise ValueError(
                f"unknown fault {name!r}: expected one of {', '.join(KINDS)}, "
                f"{', '.join(_SETTINGS)}, each as NAME=VALUE"
            )
        setattr(config, attr, checked(attr, value))
    return config


def checked(attr: str, value: object) -> float | int:
    """A fault setting's value as a number in its allowed range, or a ValueError naming the problem."""
    name = attr.removeprefix("rate_")
    not_a_number = ValueError(f"fault {name!r} needs a number, got {value!r}")
    if not isinstance(value, str | int | float):  # JSON's null, lists and objects
        raise not_a_number
    try:
        number = int(value) if attr in ("seed", "cut_after_bytes") else float(value)
    except ValueError:
        raise not_a_number from None
    if not math.isfinite(number):
        raise ValueError(f"fault {name!r} needs a finite number, got {value!r}")
    if attr.startswith("rate_") and not 0 <= number <= 1:
        raise ValueError(f"fault rate {name!r} must be between 0 and 1, got {value}")
    if number < 0:
        raise ValueError(f"fault setting {name!r} must be 0 or more, got {value}")
    return number


@dataclass(frozen=True)
class Drawn:
    kind: str
    queued: bool = False  # from `queue()` rather than a rate
    only: str | None = None  # the endpoint a queued fault was meant for


class FaultInjector:
    """Decides, per request, whether and how it fails."""

    def __init__(self, config: FaultConfig | None = None) -> None:
        self._lock = threading.Lock()
        self._queue: deque[tuple[str, str | None]] = deque()
        self.configure(config or FaultConfig())

    @property
    def config(self) -> FaultConfig:
        return self._config

    def configure(self, config: FaultConfig) -> None:
        with self._lock:
            self._config = config
            self._rng = random.Random(config.seed)

    def set(self, **values: float) -> None:
        """Change some settings, e.g. `set(rate_429=0.2, retry_after=0.05)`."""
        with self._lock:
            updates = {}
            for name, value in values.items():
                if not hasattr(self._config, name):
                    raise ValueError(f"unknown fault setting {name!r}")
                updates[name] = checked(name, value)
            for name, number in updates.items():
                setattr(self._config, name, number)

    def queue(self, kind: str, count: int = 1, endpoint: str | None = None) -> None:
        """Make the next `count` matching requests fail with `kind` (before any random fault)."""
        if kind not in KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {', '.join(KINDS)}")
        with self._lock:
            self._queue.extend([(kind, endpoint)] * count)

    def unused(self, drawn: Drawn) -> None:
        """A drawn fault found nothing to act on (a `cut` for an answer with no stream): queue it again."""
        if drawn.queued:
            with self._lock:
                self._queue.appendleft((drawn.kind, drawn.only))

    def clear(self) -> None:
        with self._lock:
            self._queue.clear()
            old = self._config
            self._config = FaultConfig(
                slow_seconds=old.slow_seconds,
                retry_after=old.retry_after,
                cut_after_bytes=old.cut_after_bytes,
                seed=old.seed,
            )

    def pick(self, endpoint: str) -> Drawn | None:
        """The fault for this request, if any. `cut` only applies to results."""
        with self._lock:
            for i, (kind, only) in enumerate(self._queue):
                if (only is None or only == endpoint) and (kind != "cut" or endpoint == "results"):
                    del self._queue[i]
                    return Drawn(kind, queued=True, only=only)
            for kind, rate in self._config.rates().items():
                if rate and (kind != "cut" or endpoint == "results") and self._rng.random() < rate:
                    return Drawn(kind)
        return None
