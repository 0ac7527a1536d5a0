"""Month-to-date spend against `budget.monthly_usd`, read again after each load or poll of the batch list.

A non-visual widget on the main screen: its named worker calls `core.spend.budget_status` and posts one
`BudgetLoaded`, which the screen puts in the status line. Without a budget set it reads nothing.
"""

from __future__ import annotations

from textual import work
from textual.widget import Widget

from batchdeck.core.session import Session
from batchdeck.core.spend.budget import budget_status
from batchdeck.tui.messages import BudgetLoaded


class BudgetWatch(Widget):
    DEFAULT_CSS = "BudgetWatch { display: none; }"

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session

    def check(self) -> None:
        """Read the month to date again, if a budget is set."""
        if self.session.settings.budget.monthly_usd:
            self.read_budget()

    @work(thread=True, exclusive=True, group="budget", exit_on_error=False)
    def read_budget(self) -> None:
        with self.session.workspace() as ws:
            self.post_message(BudgetLoaded(budget_status(ws, self.session.clock())))
