"""`$`: where the money went. Paid and saved per day as a chart, the totals in words, a table by model,
label or job; `enter` on a row goes back to the batch list, limited to that group's batches.

Every figure comes from `core.spend` (the saved results' usage, priced by the dated table with config
overrides), read by this screen's named workers; the handlers here, on the UI thread, draw it. The chart
(with the words) and the table are read by two workers at once, each on its own connection: a range
change reads both, `b` only the table.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Static

from batchdeck.core.session import Session
from batchdeck.core.spend.report import group_batch_ids, spend_report
from batchdeck.core.spend.span import SpendRange
from batchdeck.tui.messages import (
    DownloadFinished,
    DownloadProgress,
    ScopeWanted,
    SpendChartLoaded,
    SpendTableLoaded,
)
from batchdeck.tui.screens.spend_text import (
    BREAKDOWNS,
    CHART_UNIT,
    DEFAULT_RANGE,
    NUMBER_COLUMNS,
    RANGES,
    bars_of,
    cycle,
    group_name,
    row_cells,
    scope_title,
    step,
    totals_sentence,
    usage_line,
)
from batchdeck.tui.signals import Signals
from batchdeck.tui.widgets.key_footer import KeyFooter
from batchdeck.tui.widgets.spend_chart import PAID_MARKER, SAVED_MARKER, SpendChart


class SpendTable(DataTable[Text]):
    """The groups of the breakdown; `enter` shows the batches of the row under the cursor."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("enter", "select_cursor", "Its batches")]


class SpendScreen(Screen[None]):
    TITLE = "Spend"  # the help screen's title
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "app.pop_screen", "Back"),
        Binding("left_square_bracket", "range(-1)", "Shorter"),
        Binding("right_square_bracket", "range(1)", "Longer"),
        Binding("b", "breakdown", "Breakdown"),
        Binding("r", "reload", "Refresh", show=False),
        Binding("question_mark", "app.help", "Keys"),
    ]

    def __init__(self, session: Session, signals: Signals) -> None:
        super().__init__()
        self.session = session
        self.signals = signals
        self.range_name = DEFAULT_RANGE
        self.by = BREAKDOWNS[0]
        self.chart_shown: SpendChartLoaded | None = None  # what the chart and the words draw (None: reading)
        self.table_shown: SpendTableLoaded | None = None  # what the table draws

    def compose(self) -> ComposeResult:
        yield Static(id="spend-title")
        yield Static("reading the saved results…", id="spend-words")
        yield Static(id="spend-usage")
        yield Static(id="spend-legend")
        yield SpendChart(id="spend-chart")
        yield SpendTable(id="spend-table", cursor_type="row", zebra_stripes=False)
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one(SpendTable).focus()
        self.signals.download.subscribe(self, self.on_download_news)
        self.action_reload()

    def on_download_news(self, news: DownloadProgress | DownloadFinished) -> None:
        """Results saved meanwhile (the background downloads): their costs are known now."""
        if isinstance(news, DownloadFinished) and news.summary is not None:
            self.action_reload()

    @property
    def ready(self) -> bool:
        """The chart, the words and the table all show the range and breakdown asked for."""
        chart, table = self.chart_shown, self.table_shown
        return (
            chart is not None
            and table is not None
            and chart.range_name == self.range_name
            and (table.range_name, table.by) == (self.range_name, self.by)
        )

    # -- keys ---------------------------------------------------------------------------------
    def action_range(self, by: int) -> None:
        self.range_name = step(RANGES, self.range_name, by)
        self.action_reload()

    def action_breakdown(self) -> None:
        self.by = cycle(BREAKDOWNS, self.by)
        self.draw_title()
        self.load_table(self.range_name, self.by)

    def action_reload(self) -> None:
        self.draw_title()
        self.load_chart(self.range_name)
        self.load_table(self.range_name, self.by)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        shown = self.table_shown
        if shown is None or event.cursor_row >= len(shown.report.groups):
            return
        key = shown.report.groups[event.cursor_row].key
        span = shown.report.span
        self.find_batches(span, shown.by, key, scope_title(shown.by, key, span.label))

    # -- workers ------------------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="spend-chart", exit_on_error=False)
    def load_chart(self, range_name: str) -> None:
        """The range's spend per chart unit (day, week or month)."""
        with self.session.workspace() as ws:
            span = SpendRange.since(range_name, self.session.clock())
            self.post_message(SpendChartLoaded(range_name, spend_report(ws, span, CHART_UNIT[range_name])))

    @work(thread=True, exclusive=True, group="spend-table", exit_on_error=False)
    def load_table(self, range_name: str, by: str) -> None:
        """The range's spend per group of the breakdown."""
        with self.session.workspace() as ws:
            span = SpendRange.since(range_name, self.session.clock())
            self.post_message(SpendTableLoaded(range_name, by, spend_report(ws, span, by)))

    @work(thread=True, exclusive=True, group="spend-scope", exit_on_error=False)
    def find_batches(self, span: SpendRange, by: str, key: str, title: str) -> None:
        """The ids of one group's batches, for the batch list to show (the app takes it there)."""
        with self.session.workspace() as ws:
            ids = group_batch_ids(ws, span, by, key)
        self.post_message(ScopeWanted(title, ids))

    # -- drawing ------------------------------------------------------------------------------
    def on_spend_chart_loaded(self, message: SpendChartLoaded) -> None:
        """The words and the chart (the report's total and unknown batches are the range's, whatever its groups)."""
        if message.range_name != self.range_name:
            return  # an answer to keys pressed since
        self.chart_shown = message
        report, unit = message.report, CHART_UNIT[message.range_name]
        words = totals_sentence(report.span.label, report.total, report.unknown.batches)
        self.query_one("#spend-words", Static).update(Text(words, style="bold"))
        self.query_one("#spend-usage", Static).update(Text(usage_line(report.total)))
        self.query_one("#spend-legend", Static).update(
            Text(f"{PAID_MARKER} paid  {SAVED_MARKER} saved against standard prices, per {unit}")
        )
        self.draw_title()
        self.query_one(SpendChart).show(bars_of(report, unit))

    def on_spend_table_loaded(self, message: SpendTableLoaded) -> None:
        """The breakdown's rows; the cursor stays on its group when the same breakdown is read again."""
        if (message.range_name, message.by) != (self.range_name, self.by):
            return
        self.table_shown = message
        table = self.query_one(SpendTable)
        before = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value if table.row_count else None
        table.clear(columns=True)
        table.add_column(message.by.upper(), key="key")
        for title in NUMBER_COLUMNS:
            table.add_column(Text(title, justify="right"), key=title.lower())
        groups = message.report.groups
        keys = [f"{message.by}:{group.key}" for group in groups]  # a row per breakdown and group
        for key, group in zip(keys, groups, strict=True):
            table.add_row(group_name(group.key), *row_cells(group.figures), key=key)
        if before is not None and before in keys:
            table.move_cursor(row=keys.index(before))

    def draw_title(self) -> None:
        ranges = " ".join(f"[reverse] {name} [/]" if name == self.range_name else name for name in RANGES)
        self.query_one("#spend-title", Static).update(
            f"[b]Spend[/b] · {ranges} · by [b]{self.by}[/b] · days in {self._zone()}"
        )

    def _zone(self) -> str:
        shown = self.chart_shown
        return shown.report.timezone() if shown else "local time"
