"""The status line's budget: month-to-date spend against `budget.monthly_usd`, and live spend as an estimate.

Amber from 80% of the budget, red from 100%. Each level differs by style as well as colour (bold, then
reverse), so a 16-colour terminal shows it too, and the percentage says it in words. Live batches have no cost yet:
their submit estimates are shown apart, as a range marked `est.`, never added to the known figure.
"""

from __future__ import annotations

from batchdeck.core.spend.budget import BudgetStatus
from batchdeck.tui.money import money

LEVEL_STYLE = {"ok": "", "amber": "b $warning", "red": "b reverse $error"}


def budget_markup(status: BudgetStatus | None) -> str:
    """`Nov $412.80 of $500.00 (83%)`, styled by level, then what it leaves out: `+ est. $1.20–$4.80 live`,
    live batches made elsewhere (no estimate), ended ones whose results are not saved; '' without a budget."""
    if status is None or not status.budget_usd:
        return ""
    month = status.month.split(" ")[0][:3]
    text = f"{month} {money(status.spent_usd)} of {money(status.budget_usd)} ({status.fraction or 0:.0%})"
    style = LEVEL_STYLE.get(status.level, "")
    parts = [f"[{style}] {text} [/]" if style else text]
    live = status.live
    if live.estimated:
        parts.append(f"[i]+ est. {money(live.low_usd)}–{money(live.high_usd)} live[/i]")
    if live.unestimated:
        parts.append(f"[i]+ {live.unestimated:,} live without estimate[/i]")
    if status.unknown_batches:
        parts.append(f"[i]+ {status.unknown_batches:,} ended of unknown cost[/i]")
    return " ".join(parts)
