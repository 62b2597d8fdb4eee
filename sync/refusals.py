"""Refusals as the log tells them: at most one line a minute per address and kind, with a count of the rest.

A flood of junk connections must not become a flood of log lines. The first refusal of a kind from
an address is told at once; the next ones within the minute are only counted, and the count is
told when the minute is over (by `flush`, which the node calls every few seconds) or with the next
refusal after it. On top of that, at most `per_minute` lines a minute are told in all: a flood from
many addresses is summed up in one line.
"""

from __future__ import annotations

from dataclasses import dataclass

EVERY = 60.0
PER_MINUTE = 40
MAX_TRACKED = 4096


@dataclass
class _Seen:
    told_at: float
    held: int = 0  # refusals since told_at that were not told
    detail: str = ""


class RefusalLog:
    """Decides which refusals become a log line. Times are the monotonic clock's."""

    def __init__(self, *, every: float = EVERY, per_minute: int = PER_MINUTE) -> None:
        self.every, self.per_minute = every, per_minute
        self._seen: dict[tuple[str, str], _Seen] = {}
        self._minute = 0.0
        self._lines = 0
        self._overflow = 0
        self._overflow_since = 0.0
        self._overflow_from: set[str] = set()

    def note(self, address: str, kind: str, detail: str, now: float) -> str | None:
        """A refusal of `kind` from `address`: the line to log now, or None to stay quiet."""
        seen = self._seen.get((address, kind))
        if seen is not None and now - seen.told_at < self.every:
            seen.held += 1
            seen.detail = detail
            return None
        held = seen.held if seen is not None else 0
        if not self._budget(now):
            if not self._overflow:
                self._overflow_since = now
            self._overflow += 1 + held
            self._overflow_from.add(address)
            if seen is not None:
                seen.held = 0
            return None
        if len(self._seen) >= MAX_TRACKED:
            self._forget(now)
        self._seen[(address, kind)] = _Seen(now)
        more = f" ({held} more like it in the last minute)" if held else ""
        return f"refused {address}: {detail}{more}"

    def flush(self, now: float) -> list[str]:
        """Lines for what was held back and whose minute is over."""
        lines = []
        for (address, kind), seen in list(self._seen.items()):
            if seen.held and now - seen.told_at >= self.every:
                lines.append(f"refused {seen.held} more from {address} in the last minute: {seen.detail or kind}")
                seen.held = 0
                seen.told_at = now
            elif not seen.held and now - seen.told_at >= 2 * self.every:
                del self._seen[(address, kind)]
        if len(lines) > self.per_minute:  # a flood from many addresses: one line sums up the rest
            extra = lines[self.per_minute :]
            del lines[self.per_minute :]
            if not self._overflow:
                self._overflow_since = now - self.every
            self._overflow += sum(int(line.split()[1]) for line in extra)
            self._overflow_from.update(line.split()[4] for line in extra)
        if self._overflow and now - self._overflow_since >= self.every:
            count, sources = self._overflow, len(self._overflow_from)
            self._overflow, self._overflow_from = 0, set()
            lines.append(f"refused {count} more connections from {sources} addresses in the last minute")
        return lines

    def _budget(self, now: float) -> bool:
        if now - self._minute >= self.every:
            self._minute, self._lines = now, 0
        if self._lines >= self.per_minute:
            return False
        self._lines += 1
        return True

    def _forget(self, now: float) -> None:
        for key, seen in list(self._seen.items()):
            if now - seen.told_at >= self.every:
                del self._seen[key]
        if len(self._seen) >= MAX_TRACKED:
            self._seen.clear()
