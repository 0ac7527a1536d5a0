"""Textual's footer, recomposed once for a burst of binding changes.

Textual's `Footer` queues a whole recompose (a widget per key, each styled) for every change of the screen's
bindings, and a screen's start brings three of them (the stack, the focus, a refresh): 20 ms each, most of
it before the first frame. This one queues a recompose only when none is waiting; the one that runs reads the
bindings as they are by then, so it shows what the last of them would have shown.
"""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import Footer


class KeyFooter(Footer):
    _recompose_queued = False

    def bindings_changed(self, screen: Screen[object]) -> None:
        if self._recompose_queued:
            self._bindings_ready = True
            return
        super().bindings_changed(screen)
        self._recompose_queued = screen.app.app_focus and self.is_attached and screen is self.screen  # as Footer does

    async def recompose(self) -> None:
        self._recompose_queued = False
        await super().recompose()
