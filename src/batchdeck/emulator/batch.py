"""One emulated Message Batch: its lifecycle on the virtual clock and its API representation.

Nothing is stepped by a timer: status, counts, `ended_at` and `archived_at` are derived from
the clock on every read, so advancing the clock by a day ends every batch at once, exactly
as if the time had passed.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from batchdeck.emulator.clock import rfc3339
from batchdeck.emulator.outcomes import Fate, Rates, draws, fate_of, final_kind
from batchdeck.emulator.plans import RequestPlan
from batchdeck.emulator.sources import RequestSource, SyntheticSource, iter_plans

HOUR = 3600.0
DAY = 24 * HOUR
EXPIRES_AFTER = DAY
ARCHIVED_AFTER = 29 * DAY
OUTCOMES = ("succeeded", "errored", "canceled", "expired")


def processing_seconds(count: int, batch_id: str, seed: int) -> float:
    """A deterministic processing time that grows with the batch's size (100k rows ≈ 1-2 h)."""
    jitter = draws(seed, batch_id)[0]
    return (120.0 + 0.05 * count) * (0.6 + 0.8 * jitter)


@dataclass
class Batch:
    id: str
    workspace: str
    seq: int
    created_at: float
    duration: float
    source: RequestSource
    seed: int
    rates: Rates
    cancel_latency: float
    cancel_initiated_at: float | None = None
    deleted: bool = False
    never_finishing: bool | None = None  # some row can only end by expiry
    final_counts: dict[str, int] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.never_finishing is None:
            self.never_finishing = self.rates.expire_rate > 0 and any(
                math.isinf(fate.finish) for fate in self.source.fates(self.rates, self.seed)
            )

    @property
    def count(self) -> int:
        return self.source.count

    @property
    def expires_at(self) -> float:
        return self.created_at + EXPIRES_AFTER

    def cancel_end(self) -> float:
        if self.cancel_initiated_at is None:
            return math.inf
        return self.cancel_initiated_at + self.cancel_latency

    def ended_at(self) -> float:
        natural = self.expires_at if self.never_finishing else self.created_at + self.duration
        return min(natural, self.expires_at, self.cancel_end())

    def ended_by_cancel(self) -> bool:
        return self.ended_at() == self.cancel_end()

    def status(self, now: float) -> str:
        if now >= self.ended_at():
            return "ended"
        return "canceling" if self.cancel_initiated_at is not None else "in_progress"

    def is_archived(self, now: float) -> bool:
        return now >= self.created_at + ARCHIVED_AFTER

    def fates(self) -> Iterator[tuple[RequestPlan, Fate]]:
        for plan in iter_plans(self.source):
            yield plan, fate_of(plan, self.rates, self.seed)

    def outcome(self, plan: RequestPlan, fate: Fate) -> str:
        """A row's final outcome; only meaningful once the batch has ended."""
        return self._final(fate, self.ended_at(), self.ended_by_cancel())

    def _final(self, fate: Fate, ended_at: float, by_cancel: bool) -> str:
        return final_kind(fate, self.created_at + fate.finish * self.duration, ended_at, by_cancel)

    def counts(self, now: float) -> dict[str, int]:
        if self.status(now) != "ended":
            return {"processing": self.count, **{k: 0 for k in OUTCOMES}}
        if self.final_counts is None:
            self.final_counts = self._count_outcomes()
        return {"processing": 0, **self.final_counts}

    def _count_outcomes(self) -> dict[str, int]:
        """Each row's final outcome, counted: a seeded batch's without generating its rows (the demo's
        100,000-row batch in a tenth of a second), a client's from its plans."""
        ended_at, by_cancel = self.ended_at(), self.ended_by_cancel()
        if isinstance(self.source, SyntheticSource):
            return self.source.final_counts(self.rates, self.seed, self.created_at, self.duration, ended_at, by_cancel)
        tally = dict.fromkeys(OUTCOMES, 0)
        for fate in self.source.fates(self.rates, self.seed):
            tally[self._final(fate, ended_at, by_cancel)] += 1
        return tally

    def to_api(self, now: float, base_url: str) -> dict[str, Any]:
        """The MessageBatch object, every key present, nulls explicit."""
        status = self.status(now)
        ended = status == "ended"
        return {
            "id": self.id,
            "type": "message_batch",
            "processing_status": status,
            "request_counts": self.counts(now),
            "ended_at": rfc3339(self.ended_at()) if ended else None,
            "created_at": rfc3339(self.created_at),
            "expires_at": rfc3339(self.expires_at),
            "archived_at": rfc3339(self.created_at + ARCHIVED_AFTER) if self.is_archived(now) else None,
            "cancel_initiated_at": rfc3339(self.cancel_initiated_at) if self.cancel_initiated_at is not None else None,
            "results_url": f"{base_url}/v1/messages/batches/{self.id}/results" if ended else None,
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "workspace": self.workspace,
            "seq": self.seq,
            "created_at": self.created_at,
            "duration": self.duration,
            "source": self.source.to_json(),
            "seed": self.seed,
            "rates": [self.rates.error_rate, self.rates.expire_rate],
            "cancel_latency": self.cancel_latency,
            "cancel_initiated_at": self.cancel_initiated_at,
            "deleted": self.deleted,
            "never_finishing": self.never_finishing,
            "final_counts": self.final_counts,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], source: RequestSource) -> Batch:
        fields = {k: v for k, v in data.items() if k not in ("source", "rates")}
        return cls(source=source, rates=Rates(*data["rates"]), **fields)
