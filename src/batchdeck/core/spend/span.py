"""The time range of a spend report: whole calendar days, in the local timezone or in UTC.

`--since 30d` is the 30 days ending today (today included), `12w` the 84 days ending today, `3m`
this month and the two before it, `1y` this month and the eleven before; `--from DATE --to DATE`
the days from one date to the other, both included. A range starts at midnight of its first day
and ends (exclusive) at midnight after its last day, so day groups are whole days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from batchdeck.core.errors import UsageError
from batchdeck.core.timefmt import iso

DEFAULT_SINCE = "30d"
_UNITS = {"d": "days", "w": "weeks", "m": "months", "y": "years"}
_MAX_DAYS = 100 * 366  # further back than any batch: a typo, not a range


@dataclass(frozen=True)
class SpendRange:
    start: datetime  # aware; midnight of the first day
    end: datetime  # aware, exclusive; midnight after the last day
    label: str  # "last 30 days", "2026-11-01 to 2026-11-27", "November 2026"
    utc: bool = False

    @classmethod
    def since(cls, text: str, now: datetime, *, utc: bool = False) -> SpendRange:
        """`30d`, `7d`, `12w`, `3m`, `1y`: that many days, weeks, months or years ending today."""
        value = text.strip().lower()
        number, unit = value[:-1], value[-1:]
        if not (number.isascii() and number.isdigit() and unit in _UNITS and int(number) > 0):
            raise UsageError(
                f"cannot read --since {text!r}: use a number of days, weeks, months or years, like 7d, 30d, 12w, 3m, 1y"
            )
        count = int(number)
        today = _today(now, utc)
        if unit in "dw":
            days = count * (7 if unit == "w" else 1)
            first = today - timedelta(days=min(days, _MAX_DAYS) - 1)
        else:
            months = count * (12 if unit == "y" else 1)
            first = _months_back(today.replace(day=1), min(months, _MAX_DAYS // 31) - 1)
        name = _UNITS[unit] if count != 1 else _UNITS[unit][:-1]
        return cls(_midnight(first, utc), _midnight(today + timedelta(days=1), utc), f"last {count} {name}", utc)

    @classmethod
    def between(cls, first_text: str, last_text: str | None, now: datetime, *, utc: bool = False) -> SpendRange:
        """From one date to another, both included; no last date: up to today."""
        first = _date(first_text, "--from")
        last = _date(last_text, "--to") if last_text else max(first, _today(now, utc))
        if first > last:
            raise UsageError(f"--from {first} is after --to {last}: give the earlier date first")
        label = str(first) if first == last else f"{first} to {last}"
        return cls(_midnight(first, utc), _midnight(last + timedelta(days=1), utc), label, utc)

    @classmethod
    def month_to_date(cls, now: datetime, *, utc: bool = False) -> SpendRange:
        """This calendar month, from its first day to the end of today."""
        today = _today(now, utc)
        first = today.replace(day=1)
        return cls(_midnight(first, utc), _midnight(today + timedelta(days=1), utc), f"{first:%B %Y}", utc)

    @classmethod
    def parse(
        cls, since: str | None, first: str | None, last: str | None, now: datetime, *, utc: bool = False
    ) -> SpendRange:
        """The CLI's options: `--since`, or `--from` (with `--to`), or the last 30 days."""
        if since is not None and (first is not None or last is not None):
            raise UsageError("give --since or --from/--to, not both")
        if first is None and last is not None:
            raise UsageError("--to needs --from: give the first day of the range too")
        if first is not None:
            return cls.between(first, last, now, utc=utc)
        return cls.since(since or DEFAULT_SINCE, now, utc=utc)

    def bounds(self) -> tuple[str, str]:
        """(start, end) in the cache's stored form, for `ended_at >= start AND ended_at < end`."""
        return iso(self.start), iso(self.end)

    def timezone(self) -> str:
        """`UTC`, or the local zone as `CET (UTC+01:00)`."""
        if self.utc:
            return "UTC"
        local = self.start.astimezone()
        offset = local.strftime("%z")
        return f"{local.tzname()} (UTC{offset[:3]}:{offset[3:]})"


def _today(now: datetime, utc: bool) -> date:
    return (now.astimezone(UTC) if utc else now.astimezone()).date()


def _midnight(day: date, utc: bool) -> datetime:
    """Midnight at the start of `day`, in UTC or in the local zone (daylight saving included)."""
    if utc:
        return datetime(day.year, day.month, day.day, tzinfo=UTC)
    return datetime(day.year, day.month, day.day).astimezone()


def _months_back(first_of_month: date, months: int) -> date:
    index = first_of_month.year * 12 + first_of_month.month - 1 - months
    return date(max(index // 12, 1), index % 12 + 1, 1)


def _date(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(f"cannot read {option} {text!r}: use a date like 2026-11-01") from None
