"""At most one run per gap: a lone event acts at once, a burst acts once more when the gap is over.

A node syncing a burst reports every message and every change; repainting for each of them would
keep the screen from answering keys, while a lone edit should still show at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from textual.message_pump import MessagePump
from textual.timer import Timer


class Throttle:
    """Run `action` soon: now if it last ran `gap` seconds ago or more, else once when the gap ends."""

    def __init__(self, owner: MessagePump, gap: float, action: Callable[[], None]) -> None:
        self._owner = owner
        self._gap = gap
        self._action = action
        self._last = 0.0
        self._due: Timer | None = None

    def ran(self) -> None:
        """`action` ran by another way just now (the gap counts from here)."""
        self._last = time.monotonic()

    def soon(self) -> None:
        if self._due is not None:
            return  # a run is already due: it will cover everything up to then
        wait = self._last + self._gap - time.monotonic()
        if wait <= 0:
            self.ran()
            self._action()
            return

        def later() -> None:
            self._due = None
            self.ran()
            self._action()

        self._due = self._owner.set_timer(wait, later)
