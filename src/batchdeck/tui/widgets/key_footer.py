"""Textual's footer, recomposed once for a burst of binding changes, and (on the list) drawn after its rows.

Textual's `Footer` queues a whole recompose (a widget per key, each styled) for every change of the screen's
bindings, and a screen's start brings three of them (the stack, the focus, a refresh): 20 ms each, most of
it before the first frame. This one queues a recompose only when none is waiting; the one that runs reads the
bindings as they are by then, so it shows what the last of them would have shown.

A footer made `held` draws no keys until `release()`: the batch list holds its footer until its first rows
are on screen (45 ms sooner on a 2-core machine), and the keys follow a frame later.
"""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import Footer


class KeyFooter(Footer):
    def __init__(self, held: bool = False) -> None:
        super().__init__()
        self._held = held
        self._recompose_queued = False

    def bindings_changed(self, screen: Screen[object]) -> None:
        if self._recompose_queued or self._held:
            self._bindings_ready = True
            return
        super().bindings_changed(screen)
        self._recompose_queued = screen.app.app_focus and self.is_attached and screen is self.screen  # as Footer does

    def release(self) -> None:
        """Draw the keys from now on (once, if bindings changed while held)."""
        if self._held:
            self._held = False
            self.call_later(self.bindings_changed, self.screen)  # in the footer's own context, as its signal is

    async def recompose(self) -> None:
        self._recompose_queued = False
        await super().recompose()
