"""Peers that worked, remembered in the group's folder: where to dial them, and the heads last synced.

A device that comes back (a laptop at the next meeting, the Pi after a power cut) is dialed by
address even where mDNS does not reach, and the heads both sides last agreed on let a diverged
pair exchange only what is new. One JSON file, `peers.json`, written 0600 and atomically.

For a group encrypted at rest the file holds no device names (they are made from members'
names): ids, addresses and heads only. The names are in the document, behind the passphrase.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

from magnet.datadir import STORE_FILE
from magnet.errors import StoreError
from magnet.fileio import write_private
from magnet.store import read_header

PEERS_FILE = "peers.json"
BOOK_VERSION = 1
MAX_PEERS = 200
MAX_ADDRESSES = 4
# A peer not seen for this long is forgotten: the address is probably someone else's by now.
FORGET_AFTER = 180 * 24 * 3600.0

log = logging.getLogger(__name__)


@dataclass
class KnownPeer:
    device_id: str
    addresses: list[str] = field(default_factory=list)  # newest first
    name: str = ""
    last_sync: float | None = None
    last_seen: float = 0.0
    base: tuple[bytes, ...] = ()  # heads both sides held at the last sync


class PeerBook:
    """The remembered peers of one group on this device. Only the node writes it."""

    def __init__(self, directory: Path, *, keep_names: bool | None = None) -> None:
        self.path = directory / PEERS_FILE
        self.keep_names = names_in_the_clear(directory) if keep_names is None else keep_names
        self.peers: dict[str, KnownPeer] = {}
        self.dirty = False
        self._load()

    def get(self, device_id: str) -> KnownPeer | None:
        return self.peers.get(device_id)

    def base(self, device_id: str | None) -> tuple[bytes, ...]:
        known = self.peers.get(device_id) if device_id else None
        return known.base if known else ()

    def seen(self, device_id: str, *, address: str | None = None, name: str | None = None) -> KnownPeer:
        """A connection with `device_id` worked (at `address`, when we know where it listens)."""
        peer = self.peers.setdefault(device_id, KnownPeer(device_id))
        peer.last_seen = time.time()
        if address:
            peer.addresses = [address, *[a for a in peer.addresses if a != address]][:MAX_ADDRESSES]
        if name and self.keep_names:
            peer.name = name
        self.dirty = True
        return peer

    def synced(self, device_id: str, heads: tuple[bytes, ...], at: float) -> None:
        peer = self.peers.setdefault(device_id, KnownPeer(device_id))
        peer.base = heads
        peer.last_sync = at
        peer.last_seen = max(peer.last_seen, at)
        self.dirty = True

    def addresses(self) -> list[tuple[str, str]]:
        """(device id, address) of every remembered peer, most recently seen first."""
        ordered = sorted(self.peers.values(), key=lambda p: p.last_seen, reverse=True)
        return [(p.device_id, a) for p in ordered for a in p.addresses]

    def save(self) -> None:
        """Write the book if it changed (failures are logged: it is only a memory)."""
        if not self.dirty:
            return
        now = time.time()
        keep = sorted(
            (p for p in self.peers.values() if now - p.last_seen < FORGET_AFTER),
            key=lambda p: p.last_seen,
            reverse=True,
        )[:MAX_PEERS]
        data = {
            "version": BOOK_VERSION,
            "peers": [
                {
                    "device_id": p.device_id,
                    "addresses": p.addresses,
                    "name": p.name,
                    "last_sync": p.last_sync,
                    "last_seen": p.last_seen,
                    "base": [h.hex() for h in p.base],
                }
                for p in keep
            ],
        }
        try:
            write_private(self.path, json.dumps(data, indent=1).encode())
            self.dirty = False
        except OSError as exc:
            log.warning("cannot remember peers in %s: %s", self.path, exc.strerror)

    def _load(self) -> None:
        try:
            data = json.loads(self.path.read_text())
            entries = data["peers"] if data.get("version") == BOOK_VERSION else []
            for entry in entries[:MAX_PEERS]:
                peer = KnownPeer(
                    device_id=str(entry["device_id"]),
                    addresses=[str(a) for a in entry.get("addresses", [])][:MAX_ADDRESSES],
                    name=str(entry.get("name", "")) if self.keep_names else "",
                    last_sync=_number(entry.get("last_sync")),
                    last_seen=_number(entry.get("last_seen")) or 0.0,
                    base=tuple(bytes.fromhex(h) for h in entry.get("base", []) if len(h) == 64),
                )
                self.peers[peer.device_id] = peer
                self.dirty |= bool(entry.get("name")) and not self.keep_names  # written before: drop it
        except FileNotFoundError:
            return
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            log.warning("ignoring the damaged peer list %s: %s", self.path, exc)
            self.peers.clear()


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def names_in_the_clear(directory: Path) -> bool:
    """Whether names may be written beside the group's store: not when the store is sealed
    (encrypted at rest), nor when it cannot be told."""
    try:
        return not read_header(directory / STORE_FILE).sealed
    except StoreError:
        return False
