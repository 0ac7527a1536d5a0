"""Parsers of setting values as `config set` and config.toml give them: text in, a typed value or a
`ValueError` naming the problem out."""

from __future__ import annotations

import math

from batchdeck.core.urls import check_http_url

# The longest wait a seconds setting may name: a week is already a typo, and a huge value overflows
# the timers it is given to (`sleep(1e308)`: "timestamp out of range").
MAX_SECONDS = 7 * 86400.0

EXPORT_FORMATS = ("jsonl", "csv", "text")


def boolean(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"expected true or false, got {value!r}")


def count(value: str) -> int:
    """A whole number of 0 or more."""
    number = int(value)
    if number < 0:
        raise ValueError(f"expected 0 or more, got {value}")
    return number


def seconds_or_zero(value: str) -> float:
    number = float(value)
    if not 0 <= number < math.inf:  # also refuses nan, which compares false with everything
        raise ValueError(f"expected a finite number of 0 or more, got {value}")
    return _at_most_a_week(number, value)


def seconds(value: str) -> float:
    """A number of seconds above 0."""
    number = float(value)
    if not 0 < number < math.inf:
        raise ValueError(f"expected a finite number above 0, got {value}")
    return _at_most_a_week(number, value)


def _at_most_a_week(number: float, value: str) -> float:
    if number > MAX_SECONDS:
        raise ValueError(f"expected at most {MAX_SECONDS:.0f} seconds (a week), got {value}")
    return number


def usd(value: str) -> float:
    """An amount of US dollars of 0 or more (`$` and thousands commas allowed); empty or 0: none."""
    cleaned = value.strip().removeprefix("$").replace(",", "")
    number = float(cleaned) if cleaned else 0.0
    if not 0 <= number < math.inf:
        raise ValueError(f"expected an amount in USD of 0 or more, got {value}")
    return number


def text(value: str) -> str:
    return value.strip()


def http_url(value: str) -> str:
    """An http(s) URL that parses, or empty for none (webhooks are POSTed to it); errors show its host only."""
    stripped = value.strip()
    return check_http_url(stripped) if stripped else stripped


def export_format(value: str) -> str:
    lowered = value.strip().lower()
    if lowered not in EXPORT_FORMATS:
        raise ValueError(f"expected jsonl, csv or text, got {value!r}")
    return lowered
