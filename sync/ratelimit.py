"""A token bucket per address, so one host cannot flood the node with connections."""

from __future__ import annotations


class RateLimit:
    """A token bucket per address: a burst of connections, then a steady trickle."""

    def __init__(self, burst: int, per_second: float) -> None:
        self.burst, self.per_second = burst, per_second
        self._buckets: dict[str, tuple[float, float]] = {}

    def allow(self, address: str, now: float) -> bool:
        tokens, at = self._buckets.get(address, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - at) * self.per_second)
        if len(self._buckets) > 4096:
            self._buckets.clear()
        if tokens < 1:
            self._buckets[address] = (tokens, now)
            return False
        self._buckets[address] = (tokens - 1, now)
        return True
