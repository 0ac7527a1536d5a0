"""The current time, injectable: code takes a `Clock` so tests and snapshots can freeze it.

The API's clock may differ from ours (a machine whose clock is off, an emulator running fast):
`skew_from_date` measures the difference from a response's `Date` header, so views can show
ages on the API's clock, the one `created_at` and `expires_at` were written with.
"""

from __future__ import annotations

import email.utils
from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]

# `Date` has one-second resolution and the answer takes a moment to arrive: a smaller
# difference is noise, and correcting it would only make ages jitter.
SKEW_NOISE_SECONDS = 2.0


def utcnow() -> datetime:
    return datetime.now(UTC)


def skew_from_date(header: str | None, received: datetime) -> float | None:
    """Seconds to add to our clock to get the API's, from a `Date` header received at `received`
    (our clock). None when the header is missing or unreadable; 0 when within the noise."""
    if not header:
        return None
    try:
        sent = email.utils.parsedate_to_datetime(header)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if sent.tzinfo is None:
        sent = sent.replace(tzinfo=UTC)
    try:
        skew = sent.timestamp() + 0.5 - received.timestamp()  # the header is truncated to the second: take its middle
    except (OverflowError, OSError, ValueError):
        return None
    return 0.0 if abs(skew) < SKEW_NOISE_SECONDS else skew
