"""The monthly budget (`budget.monthly_usd`): month-to-date spend against it, and what is not known yet.

Month to date is the known cost of the profile's batches that ended this calendar month in local
time (the sum `spend --since` shows). The level is `amber` from 80% of the budget and `red` from
100%. Live batches have no cost yet: for those submitted by batchdeck, the submit estimate (input
guessed, output from none to max_tokens) gives a range, always shown as an estimate; a live batch
made elsewhere has no estimate and is counted apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from batchdeck.core.batches.phrases import counted
from batchdeck.core.spend.estimate import CostEstimate, estimate_totals
from batchdeck.core.spend.report import spend_report
from batchdeck.core.spend.span import SpendRange

if TYPE_CHECKING:
    from batchdeck.core.workspace import Workspace

AMBER = 0.8
RED = 1.0


@dataclass(frozen=True)
class LiveEstimate:
    """Spend not known yet: the live batches, and the range their submit estimates give."""

    batches: int = 0
    estimated: int = 0  # of them with a submit estimate (sent by batchdeck); the rest have none
    low_usd: float = 0.0
    high_usd: float = 0.0

    @property
    def unestimated(self) -> int:
        return self.batches - self.estimated

    def text(self) -> str:
        """`2 live batches: estimate $1.20 to $4.80 (1 without an estimate)`, or '' when none is live."""
        if not self.batches:
            return ""
        text = f"{counted(self.batches, 'live batch')}: "
        if self.estimated:
            text += f"estimate {_usd(self.low_usd)} to {_usd(self.high_usd)}"
            if self.unestimated:
                text += f" ({self.unestimated} without an estimate)"
        else:
            text += "no estimate (not submitted by batchdeck)"
        return text


@dataclass(frozen=True)
class BudgetStatus:
    month: str  # "November 2026"
    spent_usd: float  # known, month to date
    budget_usd: float | None  # None: no budget set
    unknown_batches: int  # ended this month, cost not known (results not saved)
    live: LiveEstimate = field(default_factory=LiveEstimate)

    @property
    def fraction(self) -> float | None:
        return None if not self.budget_usd else self.spent_usd / self.budget_usd

    @property
    def level(self) -> str:
        """ok, amber (80% of the budget or more) or red (100% or more); ok without a budget."""
        fraction = self.fraction
        if fraction is None or fraction < AMBER:
            return "ok"
        return "amber" if fraction < RED else "red"

    def text(self) -> str:
        """One line: `November 2026: $412.80 of $500.00 budget (83%) · 2 live batches: estimate …`."""
        text = f"{self.month}: {_usd(self.spent_usd)}"
        if self.budget_usd:
            text += f" of {_usd(self.budget_usd)} budget ({self.fraction or 0:.0%})"
            text += {"amber": ", over 80%", "red": ", budget reached"}.get(self.level, "")
        else:
            text += " spent (no budget set: budget.monthly_usd)"
        parts = [text]
        if self.unknown_batches:
            parts.append(f"{counted(self.unknown_batches, 'ended batch', 'ended batches')} of unknown cost")
        if self.live.batches:
            parts.append(self.live.text())
        return " · ".join(parts)

    def with_batch(self, cost: CostEstimate) -> str:
        """What a batch about to be sent would bring the month to, live batches' estimates included."""
        low = self.spent_usd + self.live.low_usd + cost.low
        high = self.spent_usd + self.live.high_usd + cost.high
        text = f"this month so far {_usd(self.spent_usd)}"
        if self.live.estimated:
            text += f" (+ {_usd(self.live.low_usd)} to {_usd(self.live.high_usd)} estimated for live batches)"
        text += f"; with this batch {_usd(low)} to {_usd(high)} (estimate)"
        if self.budget_usd:
            text += (
                f", {low / self.budget_usd:.0%} to {high / self.budget_usd:.0%} of the {_usd(self.budget_usd)} budget"
            )
        return text

    def with_batch_json(self, cost: CostEstimate) -> dict[str, Any]:
        """`with_batch` for `--json`: the month so far, and the range with the batch (and the live ones)."""
        return {
            **self.as_json(),
            "with_batch_low_usd": round(self.spent_usd + self.live.low_usd + cost.low, 6),
            "with_batch_high_usd": round(self.spent_usd + self.live.high_usd + cost.high, 6),
        }

    def as_json(self) -> dict[str, Any]:
        return {
            "month": self.month,
            "spent_usd": self.spent_usd,
            "budget_usd": self.budget_usd,
            "fraction": self.fraction,
            "level": self.level,
            "unknown_batches": self.unknown_batches,
            "live": {
                "batches": self.live.batches,
                "estimated": self.live.estimated,
                "estimate_low_usd": round(self.live.low_usd, 6),
                "estimate_high_usd": round(self.live.high_usd, 6),
            },
        }


def budget_status(ws: Workspace, now: datetime) -> BudgetStatus:
    """The workspace profile's month to date (local time) against `budget.monthly_usd`, live batches estimated."""
    span = SpendRange.month_to_date(now)
    report = spend_report(ws, span, "month")
    budget = ws.settings.budget.monthly_usd
    return BudgetStatus(span.label, report.total.cost_usd, budget or None, report.unknown.batches, live_estimate(ws))


def live_estimate(ws: Workspace) -> LiveEstimate:
    """The submit estimates of the profile's live batches, summed (batches made elsewhere have none)."""
    live = ws.batches.query({"live"})
    estimates = [cost for batch in live if (cost := batch_estimate(ws, batch.id)) is not None]
    return LiveEstimate(len(live), len(estimates), sum(c.low for c in estimates), sum(c.high for c in estimates))


def batch_estimate(ws: Workspace, batch_id: str) -> CostEstimate | None:
    """The estimate of a batch batchdeck sent, from its requests kept in the cache; None for one made elsewhere."""
    job_id = ws.jobs.job_of_batch(batch_id)
    if job_id is None:
        return None
    part = next((s for s in ws.jobs.submissions(job_id) if s.batch_id == batch_id), None)
    if part is None:
        return None
    ids = ws.jobs.custom_ids(job_id, part.part)
    job = ws.jobs.job(job_id)
    whole = job is not None and len(ids) == job.request_count  # the whole job: no id list to send
    totals = ws.jobs.model_totals(job_id, None if whole else ids)
    return estimate_totals(totals, ws.prices()) if totals else None


def _usd(amount: float) -> str:
    return f"${amount:,.2f}"
