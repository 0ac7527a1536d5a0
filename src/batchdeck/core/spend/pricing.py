"""What batch results cost: a dated price table per model (spec §9), overridable in config.

Batch pricing is 50% of standard on every token kind; cache writes cost 1.25× (5 minutes) or
2× (1 hour) the input price, cache reads the model's read price. Errored, canceled and expired
rows are not billed. A model missing from the table has no price ("unknown"), never a guess.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

PRICES_AS_OF = "2026-10"
BATCH_DISCOUNT = 0.5
Counts = tuple[int, int, int, int, int]  # Usage's fields in order, without building a Usage
Rates = tuple[float, float, float, float, float]  # a Price per token kind, in the same order


@dataclass(frozen=True)
class Price:
    """Standard prices in USD per million tokens."""

    input: float
    output: float
    cache_read: float  # per MTok read from cache

    @property
    def cache_write_5m(self) -> float:
        return self.input * 1.25

    @property
    def cache_write_1h(self) -> float:
        return self.input * 2.0

    @cached_property
    def rates(self) -> Rates:
        """Per-token-kind prices in `usage_counts` order, as floats: a count times a rate is then the same
        double in Python as in SQLite (which prices ingest's rows, `result_repo.publish`), whatever the count."""
        return (
            float(self.input),
            float(self.output),
            float(self.cache_write_5m),
            float(self.cache_write_1h),
            float(self.cache_read),
        )


_TABLE: tuple[tuple[tuple[str, ...], Price], ...] = (
    (("claude-fable-5-1", "claude-mythos-5-1"), Price(10, 50, 0.25)),
    (("claude-fable-5", "claude-mythos-5"), Price(10, 50, 1.00)),
    (("claude-opus-5-5",), Price(4, 20, 0.20)),
    (("claude-opus-5", "claude-opus-4-8", "claude-opus-4-7", "claude-opus-4-6", "claude-opus-4-5"), Price(5, 25, 0.50)),
    (("claude-opus-4-1", "claude-opus-4-0", "claude-opus-4"), Price(15, 75, 1.50)),
    (("claude-sonnet-5-5",), Price(2, 10, 0.10)),
    (("claude-sonnet-5",), Price(2, 10, 0.20)),
    (("claude-sonnet-4-6", "claude-sonnet-4-5"), Price(3, 15, 0.30)),
    (("claude-haiku-5-5",), Price(0.10, 0.50, 0.01)),
    (("claude-haiku-4-5",), Price(1, 5, 0.10)),
    (("claude-haiku-3-5",), Price(0.80, 4, 0.08)),
)
DEFAULT_PRICES: dict[str, Price] = {name: price for names, price in _TABLE for name in names}


@dataclass(frozen=True)
class Usage:
    input: int = 0
    output: int = 0
    cache_write_5m: int = 0
    cache_write_1h: int = 0
    cache_read: int = 0

    @classmethod
    def from_api(cls, usage: Mapping[str, Any]) -> Usage:
        """From a result's `usage` object; older shapes without cache fields are fine."""
        return cls(*usage_counts(usage))


def usage_counts(usage: Mapping[str, Any]) -> Counts:
    """(input, output, cache_write_5m, cache_write_1h, cache_read) of a result's `usage` object.

    The one reading of `usage`: `Usage.from_api` and the per-line ingest (which skips the dataclass) share it.
    Each count is `int(value or 0)`; a value that is already an `int` (the API's) is taken as it is, which
    is the same answer without the call (ingest reads 100,000 of these)."""
    get = usage.get
    creation = get("cache_creation")
    one_hour = creation.get("ephemeral_1h_input_tokens") if creation else 0
    if type(one_hour) is not int:
        one_hour = int(one_hour or 0)
    write_total = get("cache_creation_input_tokens")
    if type(write_total) is not int:
        write_total = int(write_total or 0)
    input_ = get("input_tokens")
    if type(input_) is not int:
        input_ = int(input_ or 0)
    output = get("output_tokens")
    if type(output) is not int:
        output = int(output or 0)
    read = get("cache_read_input_tokens")
    if type(read) is not int:
        read = int(read or 0)
    write_5m = write_total - one_hour
    return (input_, output, write_5m if write_5m > 0 else 0, one_hour, read)


def _standard(price: Price, counts: Counts) -> float:
    """Standard cost in USD of token counts at `price` (the one formula: `result_repo._COST` is it in SQL, term
    by term in this order, for ingest's rows; tests/core/test_result_staging.py holds them equal)."""
    input_, output, write_5m, write_1h, read = counts
    p_input, p_output, p_write_5m, p_write_1h, p_read = price.rates
    return (input_ * p_input + output * p_output + write_5m * p_write_5m + write_1h * p_write_1h + read * p_read) / 1e6


class PriceBook:
    def __init__(self, overrides: Mapping[str, Mapping[str, float]] | None = None) -> None:
        self.prices = dict(DEFAULT_PRICES)
        for model, values in (overrides or {}).items():
            base = self.prices.get(model, Price(0, 0, 0))
            self.prices[model] = Price(
                float(values.get("input", base.input)),
                float(values.get("output", base.output)),
                float(values.get("cache_read", base.cache_read)),
            )

    def price(self, model: str | None) -> Price | None:
        """The price of a model id or alias; dated ids (`…-20251001`) fall back to their alias."""
        if not model:
            return None
        found = self.prices.get(model)
        if found is None:
            stem, _, suffix = model.rpartition("-")
            found = self.prices.get(stem) if suffix.isdigit() and len(suffix) == 8 else None
            if found is not None:
                self.prices[model] = found  # remembered: a batch names the same few models 100,000 times
        return found

    def standard_cost(self, model: str | None, usage: Usage) -> float | None:
        price = self.price(model)
        if price is None:
            return None
        return _standard(
            price, (usage.input, usage.output, usage.cache_write_5m, usage.cache_write_1h, usage.cache_read)
        )

    def batch_cost(self, model: str | None, usage: Usage) -> float | None:
        standard = self.standard_cost(model, usage)
        return None if standard is None else standard * BATCH_DISCOUNT
