"""Where the node dials: peers given by address, found by mDNS or remembered, with backoff per peer.

One target per address, whatever told us of it, so a peer both remembered and advertised is
dialed once. A failing target waits longer after each failure (with jitter, so a room full of
laptops does not redial in step); a connection that worked resets it.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass


@dataclass
class Target:
    """Somewhere to dial."""

    key: str
    addresses: list[str]
    source: str  # config, manual, mdns, memory
    device_id: str | None = None
    epoch: int | None = None  # the group key epoch its mDNS tag shows
    state: str = "found"  # found, connecting, waiting, rejected, lost
    error: str | None = None
    failures: int = 0
    next_try: float = 0.0
    dialing: bool = False
    itself: bool = False  # it turned out to be this device
    mdns: str | None = None  # the mDNS instance advertising it, while it does


# mDNS is open to anyone on the network, and a group's tag is in clear text: a stranger who
# replays it under many names must not grow the dial list without end. Targets that never
# proved to be a device of the group give way, oldest first.
MAX_MDNS_TARGETS = 32
MAX_MDNS_PER_HOST = 8


def host_of(address: str) -> str:
    """The host part of "host:port" or "[v6]:port"."""
    return address.rsplit(":", 1)[0]


class Targets:
    """Every target of one node; times are the monotonic clock's."""

    def __init__(self, backoff_min: float, backoff_max: float) -> None:
        self.backoff_min = backoff_min
        self.backoff_max = backoff_max
        self._by_key: dict[str, Target] = {}

    def __iter__(self) -> Iterator[Target]:
        return iter(list(self._by_key.values()))

    def at(self, addresses: list[str]) -> Target | None:
        return next((t for t in self._by_key.values() if set(t.addresses) & set(addresses)), None)

    def add(self, address: str, source: str, *, device_id: str | None = None) -> tuple[Target, bool]:
        """The target for `address`, made if new; True when it is."""
        target = self.at([address])
        if target is not None:
            if device_id and not target.device_id:
                target.device_id = device_id
            return target, False
        target = self._by_key[address] = Target(address, [address], source, device_id=device_id)
        return target, True

    def advertised(self, name: str, addresses: list[str], epoch: int, now: float) -> tuple[Target | None, bool]:
        """mDNS shows `name` at `addresses` with a tag of `epoch`; True for a peer new to us.

        None when there is no room for one more (see MAX_MDNS_TARGETS) and nothing gave way.
        """
        target = self.at(addresses)
        new = target is None
        if target is None:
            if not self._room_for(addresses[0]):
                return None, False
            target = self._by_key[addresses[0]] = Target(addresses[0], list(addresses), "mdns")
            # A little jitter, so two peers that see each other at once rarely dial both ways.
            target.next_try = now + random.uniform(0, 0.3)
        target.epoch, target.mdns = epoch, name
        if target.source == "mdns":
            target.addresses = list(addresses)
        return target, new

    def _room_for(self, address: str) -> bool:
        """Whether an mDNS target at `address` may be added, making room if it must."""
        found = [t for t in self._by_key.values() if t.source == "mdns"]
        same_host = [t for t in found if host_of(t.key) == host_of(address)]
        crowd = same_host if len(same_host) >= MAX_MDNS_PER_HOST else found
        if len(crowd) < (MAX_MDNS_PER_HOST if crowd is same_host else MAX_MDNS_TARGETS):
            return True
        unproven = next((t for t in crowd if t.device_id is None and not t.dialing), None)
        if unproven is None:
            return False
        del self._by_key[unproven.key]
        return True

    def withdrawn(self, name: str) -> list[Target]:
        """mDNS no longer shows `name`: the targets only it told us of, now forgotten."""
        gone = []
        for target in [t for t in self._by_key.values() if t.mdns == name]:
            target.mdns = None
            if target.source == "mdns":
                del self._by_key[target.key]
                gone.append(target)
        return gone

    def failed(self, target: Target, error: str, state: str, now: float) -> tuple[bool, float]:
        """Back off after a failure; (whether it is a new kind of failure, the delay)."""
        new = target.failures == 0 or target.error != error
        target.failures += 1
        target.error = error
        target.state = state
        delay = min(self.backoff_max, self.backoff_min * 2 ** (target.failures - 1))
        target.next_try = now + delay * random.uniform(0.8, 1.2)
        return new, delay

    def worked(self, target: Target, device_id: str) -> None:
        target.device_id = device_id
        target.failures, target.error = 0, None

    def lost(self, target: Target, now: float) -> None:
        """A working connection ended: dial again soon."""
        target.failures, target.state = 0, "lost"
        target.next_try = now + self.backoff_min

    def retry_refused(self, now: float) -> None:
        """Something changed that may let refused peers in (a device joined): try them soon."""
        for target in self._by_key.values():
            if target.state == "rejected":
                target.next_try = min(target.next_try, now + self.backoff_min)
