"""How the TUI writes an amount of dollars (the Spend screen, the status line's budget)."""

from __future__ import annotations


def money(usd: float) -> str:
    """`$412.80`; a sum under a cent is `<$0.01`, never rounded to a free-looking `$0.00`."""
    if 0 < usd < 0.005:
        return "<$0.01"
    return f"${usd:,.2f}"
