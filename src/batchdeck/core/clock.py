"""The current time, injectable: code takes a `Clock` so tests and snapshots can freeze it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def frozen(moment: datetime) -> Clock:
    return lambda: moment
