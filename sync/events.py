"""What an embedder (the TUI, `magnet serve`) gives the node and hears from it: plain values only."""

from __future__ import annotations

from dataclasses import dataclass, field

DEFAULT_PORT = 7787

EVENT_KINDS = ("listening", "found", "connected", "synced", "lost", "rejected", "error")


@dataclass
class NodeConfig:
    """How the node runs. `interfaces` None means MAGNET_INTERFACES if set, else every interface."""

    port: int = DEFAULT_PORT
    peers: list[str] = field(default_factory=list)  # host:port to dial, besides discovered ones
    interfaces: list[str] | None = None
    discovery: bool = True
    keepalive: float = 5.0  # ping a quiet peer this often
    dead_after: float = 20.0  # and drop it after this long without a word
    # Look for commits other processes made on this data dir; they also ring the node's doorbell
    # the moment they are durable (magnet.wakeup), so this is only the fallback.
    poll_interval: float = 1.0
    backoff_min: float = 0.5  # first wait before dialing a failed peer again
    backoff_max: float = 30.0
    max_connections: int = 64  # sessions and handshakes together (fewer if file descriptors are short)
    handshakes_per_address: int = 4  # handshakes one address may have under way at once
    connection_burst: int = 20  # connections one address may open at once ...
    connections_per_second: float = 2.0  # ... and then per second
    handshake_timeout: float = 10.0


@dataclass(frozen=True)
class NodeEvent:
    kind: str  # one of EVENT_KINDS
    peer: str  # the peer's address (or ours, for "listening")
    device_id: str | None
    detail: str
    at: float  # time.time()


@dataclass(frozen=True)
class PeerStatus:
    address: str
    device_id: str | None
    name: str
    state: str  # found, connecting, syncing, synced, waiting (to retry), lost, rejected
    last_sync: float | None
    error: str | None
