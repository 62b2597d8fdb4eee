"""Guesses at a short code, one at a time per code and a few per address, so no stranger burns another's code.

A short code has 40 secret bits and each connection tests one guess (SPAKE2). Guesses at one code
wait their turn: the next comes only after the last was decided, and a wrong one holds the turn a
little longer, so no code is guessed faster than once per `spacing`. Within a short code's
fifteen minutes that is at most 1,800 guesses, a chance below two in a billion. An address that
guessed wrong `per_address` times is refused for that code; other addresses, the real new device
among them, still get their turn. A connection that takes its turn must guess within `window`.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from types import TracebackType

from sync.frames import Refusal, refusal

GUESS_SPACING = 0.5
GUESSES_PER_ADDRESS = 3
GUESS_WINDOW = 3.0
MAX_TRACKED = 4096


@dataclass
class Guess:
    """One connection's guess at one code: entered as an async context manager around it."""

    gate: GuessGate
    ref: bytes
    source: str
    wrong: bool = False
    _lock: asyncio.Lock | None = field(default=None, repr=False)

    def mark_wrong(self) -> None:
        self.wrong = True

    async def __aenter__(self) -> Guess:
        lock = self.gate.lock(self.ref)
        await lock.acquire()
        self._lock = lock
        if self.gate.wrong_guesses(self.ref, self.source) >= self.gate.per_address:
            lock.release()
            self._lock = None
            raise refusal(Refusal.TOO_MANY_GUESSES)
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        lock, self._lock = self._lock, None
        if lock is None:
            return
        try:
            if self.wrong:
                self.gate.count_wrong(self.ref, self.source)
                await asyncio.sleep(self.gate.spacing)  # the next guess at this code waits
        finally:
            lock.release()


class GuessGate:
    """The turns and wrong guesses of one node's short codes (memory only: one process answers)."""

    def __init__(
        self,
        *,
        spacing: float = GUESS_SPACING,
        per_address: int = GUESSES_PER_ADDRESS,
        window: float = GUESS_WINDOW,
    ) -> None:
        self.spacing, self.per_address, self.window = spacing, per_address, window
        self._locks: dict[bytes, asyncio.Lock] = {}
        self._wrong: dict[tuple[bytes, str], int] = {}

    def guess(self, ref: bytes, source: str) -> Guess:
        return Guess(self, ref, source)

    def lock(self, ref: bytes) -> asyncio.Lock:
        if len(self._locks) > MAX_TRACKED:
            self._locks = {k: v for k, v in self._locks.items() if v.locked()}
        return self._locks.setdefault(ref, asyncio.Lock())

    def wrong_guesses(self, ref: bytes, source: str) -> int:
        return self._wrong.get((ref, source), 0)

    def count_wrong(self, ref: bytes, source: str) -> None:
        if len(self._wrong) > MAX_TRACKED:
            self._wrong.clear()  # memory stays bounded; the spacing still bounds the guessing
        self._wrong[(ref, source)] = self._wrong.get((ref, source), 0) + 1
