"""Timestamps: the API's RFC 3339 strings, a canonical stored form, and human-readable spans."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


def parse(value: str) -> datetime:
    """An RFC 3339 timestamp (`Z` or an offset) as an aware UTC datetime."""
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def canonical(value: str | None) -> str | None:
    """The stored form: UTC, microseconds, `Z`, so text order is time order."""
    if value is None:
        return None
    return parse(value).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def span(seconds: float) -> str:
    """A compact duration: `45s`, `12m`, `3h 05m`, `2d 4h`."""
    seconds = int(abs(seconds))
    if seconds < 60:
        return f"{seconds}s"
    minutes, _ = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours}h {minutes:02d}m"
    days, hours = divmod(hours, 24)
    return f"{days}d {hours}h"


def coarse(seconds: float) -> str:
    """One unit only, for narrow columns: `45s`, `12m`, `18h`, `26d`."""
    seconds = int(abs(seconds))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size * (2 if unit == "d" else 1):
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def coarse_ago(moment: datetime, now: datetime) -> str:
    """`3h ago`, or `in 8h` for a moment still ahead (a clock that runs behind the API's)."""
    delta = (now - moment).total_seconds()
    return f"in {coarse(delta)}" if delta < 0 else f"{coarse(delta)} ago"


def ago(moment: datetime, now: datetime) -> str:
    delta = (now - moment).total_seconds()
    return f"in {span(delta)}" if delta < 0 else f"{span(delta)} ago"


def parse_since(value: str, now: datetime) -> datetime:
    """`--since`: a span back from now (`90m`, `36h`, `7d`, `2w`) or a date/time (`2026-11-01`)."""
    units = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
    text = value.strip().lower()
    if text[:-1].isascii() and text[:-1].isdigit() and text[-1:] in units:
        try:
            return now - timedelta(seconds=int(text[:-1]) * units[text[-1]])
        except OverflowError:  # further back than any date: everything
            return datetime.min.replace(tzinfo=UTC)
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"cannot read --since {value!r}: use a span like 36h, 7d, 2w or a date like 2026-11-01"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
