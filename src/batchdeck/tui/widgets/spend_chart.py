"""The Spend screen's chart: what was paid and what batching saved, one stacked bar per day (week, month).

Drawn by plotext through textual-plotext, without plotext's legend (it would cover the first bars: the
screen's words name the glyphs instead). The bars take the theme's colours, and differ by their glyph as
well (paid solid, saved shaded), so a 16-colour terminal that maps both colours to one still tells them apart.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from textual.color import Color
from textual_plotext import PlotextPlot

PAID_MARKER, SAVED_MARKER = "█", "░"  # the screen's legend names the same glyphs
TICKS = 5  # labels under the x axis: more would crowd an 80-column chart


@dataclass(frozen=True)
class Bar:
    label: str  # what the x axis says under this bar ("Oct 05", "wk Oct 05", "Oct 2026")
    paid: float
    saved: float


def tick_positions(count: int, most: int = TICKS) -> list[int]:
    """Up to `most` bar positions spread evenly from the first bar to the last."""
    if count <= most:
        return list(range(count))
    step = (count - 1) / (most - 1)
    return [round(i * step) for i in range(most)]


def dollar_ticks(top: float) -> tuple[list[float], list[str]]:
    """Three y-axis marks, zero to the tallest bar, in dollars."""
    top = top if top > 0 else 1.0
    marks = [0.0, top / 2, top]
    return marks, [f"${mark:,.2f}" if top < 100 else f"${mark:,.0f}" for mark in marks]


class SpendChart(PlotextPlot):
    DEFAULT_CSS = "SpendChart { height: 1fr; min-height: 6; }"

    def show(self, bars: Sequence[Bar]) -> None:
        """Draw these bars (the old ones go)."""
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        positions = list(range(len(bars)))
        if not bars:
            self.refresh()
            return
        paid, saved = [b.paid for b in bars], [b.saved for b in bars]
        # One colour and one glyph per series: plotext takes lists here, which its stubs do not say.
        style: dict[str, Any] = {
            "color": [self._colour("primary"), self._colour("success")],
            "marker": [PAID_MARKER, SAVED_MARKER],
        }
        plt.stacked_bar(positions, [paid, saved], width=0.8, **style)
        ticks = tick_positions(len(bars))
        plt.xticks([float(i) for i in ticks], [bars[i].label for i in ticks])
        plt.yticks(*dollar_ticks(max(p + s for p, s in zip(paid, saved, strict=True))))
        self.refresh()

    def _colour(self, name: str) -> tuple[int, int, int]:
        """A theme colour as plotext takes it (an RGB triple); Textual maps it down in a 16-colour terminal."""
        return Color.parse(self.app.theme_variables[name]).rgb
