"""The figures of a spend report: what a group of batches cost, saved and used, and how they add up.

Money is rounded to `DIGITS` decimals per group (a billionth of a dollar), and a total is the plain
sum of its groups' rounded figures in their order, so `sum(g["cost_usd"] for g in groups)` equals
the total's `cost_usd` exactly in the JSON, not just nearly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

DIGITS = 9
MONEY = ("cost_usd", "standard_cost_usd", "saved_usd")
COUNTS = (
    "batches",
    "requests",
    "input_tokens",
    "output_tokens",
    "cache_write_tokens",
    "cache_read_tokens",
    "unpriced_rows",
)


@dataclass(frozen=True)
class Figures:
    """One group's spend: at batch prices, at standard prices, and the difference; counts of billed usage.

    `requests` counts succeeded requests (the billed ones: errored, canceled and expired requests are
    not billed); `unpriced_rows` those of them whose model has no known price (not in the costs)."""

    cost_usd: float = 0.0
    standard_cost_usd: float = 0.0
    saved_usd: float = 0.0
    batches: int = 0
    requests: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cache_write_tokens: int = 0
    cache_read_tokens: int = 0
    unpriced_rows: int = 0

    @classmethod
    def of(cls, cost: float | None, standard: float | None, *counts: int | None) -> Figures:
        """From raw sums (None as 0), money rounded; `counts` in the order of `COUNTS`."""
        cost_raw, standard_raw = cost or 0.0, standard or 0.0
        return cls(
            round(cost_raw, DIGITS),
            round(standard_raw, DIGITS),
            round(standard_raw - cost_raw, DIGITS),
            *(int(n or 0) for n in counts),
        )

    @classmethod
    def total(cls, parts: Sequence[Figures]) -> Figures:
        """The plain sum of `parts` in order: exactly what a reader summing the groups gets."""

        def add(name: str) -> Any:
            return sum((getattr(p, name) for p in parts), 0.0 if name in MONEY else 0)

        return cls(*(add(name) for name in (*MONEY, *COUNTS)))

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def empty(self) -> bool:
        return self == Figures()
