"""The in-process sync node as the app sees it: optional, started lazily, reporting through a callback.

No Textual here. The node runs on its own thread; `on_event` is called on that thread and the
app turns it into a message. When the sync engine is not in this build the app works offline
and says so.
"""

from __future__ import annotations

import os
import socket
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from magnet.errors import MagnetError
from magnet.home import OpenGroup

INTERFACES_ENV = "MAGNET_INTERFACES"
EVENT_KINDS = ("listening", "found", "connected", "synced", "lost", "rejected", "error")
PROBLEM_KINDS = frozenset({"rejected", "error"})


class SyncUnavailable(MagnetError):
    """The node cannot run here (not in this build, or it failed to start)."""


class NodeLike(Protocol):
    """What the app needs from `sync.runner.NodeHandle`."""

    @property
    def port(self) -> int: ...

    def start(self) -> None: ...

    def stop(self, timeout: float = 5) -> None: ...

    def add_peer(self, address: str) -> None: ...

    def peers(self) -> Sequence[Any]: ...


NodeFactory = Callable[[OpenGroup, Callable[[Any], None]], NodeLike]


def _moment(value: object) -> datetime | None:
    if isinstance(value, datetime):
        return value.astimezone().replace(tzinfo=None) if value.tzinfo else value
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return datetime.fromtimestamp(value)
    return None


@dataclass(frozen=True)
class NodeNews:
    """One thing the node reported (a `NodeEvent`), as plain values."""

    kind: str
    peer: str = ""
    device_id: str = ""
    detail: str = ""
    at: datetime = field(default_factory=datetime.now)

    @property
    def is_problem(self) -> bool:
        return self.kind in PROBLEM_KINDS

    @classmethod
    def of(cls, event: Any) -> NodeNews:
        return cls(
            kind=str(getattr(event, "kind", "error")),
            peer=str(getattr(event, "peer", "") or ""),
            device_id=str(getattr(event, "device_id", "") or ""),
            detail=str(getattr(event, "detail", "") or ""),
            at=_moment(getattr(event, "at", None)) or datetime.now(),
        )


@dataclass(frozen=True)
class PeerView:
    """One peer (a `PeerStatus`), as plain values."""

    address: str
    device_id: str = ""
    name: str = ""
    state: str = ""
    last_sync: datetime | None = None
    error: str = ""

    @property
    def connected(self) -> bool:
        return self.state in ("connected", "synced", "syncing", "idle")

    @classmethod
    def of(cls, status: Any) -> PeerView:
        return cls(
            address=str(getattr(status, "address", "") or ""),
            device_id=str(getattr(status, "device_id", "") or ""),
            name=str(getattr(status, "name", "") or ""),
            state=str(getattr(status, "state", "") or ""),
            last_sync=_moment(getattr(status, "last_sync", None)),
            error=str(getattr(status, "error", "") or ""),
        )


@dataclass
class SyncStatus:
    """Everything the peers indicator and the peers screen show. Changed on the UI thread only."""

    running: bool = False
    problem: str = "starting sync…"
    port: int = 0
    peers: list[PeerView] = field(default_factory=list)
    news: deque[NodeNews] = field(default_factory=lambda: deque(maxlen=200))
    last_sync: datetime | None = None

    @property
    def connected(self) -> int:
        return sum(1 for p in self.peers if p.connected)

    @property
    def problems(self) -> list[NodeNews]:
        return [n for n in self.news if n.is_problem]

    def hear(self, news: NodeNews) -> None:
        """Fold one event in; the peer list itself is refreshed from `peers()`."""
        self.news.append(news)
        if news.kind == "listening":
            self.running = True
            self.problem = ""
        if news.kind == "synced":
            self.last_sync = max(self.last_sync or news.at, news.at)
        known = {p.address: p for p in self.peers}
        if news.peer and news.kind in ("found", "connected", "synced", "lost"):
            old = known.get(news.peer, PeerView(news.peer))
            state = {"found": old.state or "found", "connected": "connected", "synced": "connected"}.get(
                news.kind, "lost"
            )
            last = news.at if news.kind == "synced" else old.last_sync
            known[news.peer] = PeerView(news.peer, news.device_id or old.device_id, old.name, state, last, "")
            self.peers = list(known.values())

    def take_peers(self, peers: Sequence[PeerView]) -> None:
        self.peers = list(peers)
        synced = [p.last_sync for p in peers if p.last_sync is not None]
        if synced:
            self.last_sync = max([*synced, *([self.last_sync] if self.last_sync else [])])


def interfaces_from_env() -> list[str] | None:
    """MAGNET_INTERFACES="127.0.0.1,eth0" pins the node (tests never touch real interfaces)."""
    value = os.environ.get(INTERFACES_ENV, "").strip()
    return [part.strip() for part in value.split(",") if part.strip()] or None


def default_node_factory(group: OpenGroup, on_event: Callable[[Any], None]) -> NodeLike:
    """The real node, in a process of its own (sync.process_node): a large merge runs on the other
    core and never holds this process's interpreter lock. Imported only now so start-up stays fast."""
    try:
        from sync.events import NodeConfig
        from sync.process_node import NodeProcess
    except ImportError as exc:
        raise SyncUnavailable("sync is not in this build yet: working offline") from exc
    node: NodeLike = NodeProcess(group, NodeConfig(interfaces=interfaces_from_env()), on_event=on_event)
    return node


def local_addresses(port: int) -> list[str]:
    """host:port strings where neighbors can reach this device, without sending anything."""
    pinned = interfaces_from_env()
    hosts: list[str] = []
    if pinned:
        hosts = [h for h in pinned if _is_ipv4(h)]
    else:
        try:
            from sync.interfaces import local_ipv4

            hosts = local_ipv4()
        except (ImportError, OSError):
            try:
                infos = socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)
            except OSError:
                infos = []
            hosts = sorted({str(info[4][0]) for info in infos if not str(info[4][0]).startswith("127.")})
    return [f"{host}:{port}" for host in hosts[:4]]


def _is_ipv4(text: str) -> bool:
    try:
        socket.inet_aton(text)
    except OSError:
        return False
    return text.count(".") == 3
