"""The line protocol between the app and its node process: JSON lines over the child's stdin and stdout.

The app runs the node as `magnet serve --control` in a process of its own, so that merging a large
sync (Automerge holds the interpreter's lock for the whole call) never stalls the app's screen.
Both sides work on the same data dir; changes travel through the store, and each side rings the
other's doorbell (magnet.wakeup) when it appends. This channel carries what the app shows and
asks: node events, the peer list and commands; and, when the app shows the group from its read
model, its writes and the records each change touched (sync/calls.py; values packed in msgpack).

    child -> app:  {"listening": PORT}
                   {"event": {"kind", "peer", "device_id", "detail", "at"}}
                   {"peers": [{"address", "device_id", "name", "state", "last_sync", "error"}, ...]}
                   {"records": PACKED, "heads": [HEX], "origin": "local"|"remote"}
                   {"reload": [INODE, SIZE, MTIME_NS] | null, "heads": [HEX]}
                   {"done": N, "result": PACKED}   {"failed": N, "error": {"type", "message", "field"}}
    app -> child:  first line {"unlock": KEY|null, "feed": [HEX]}  (feed: the read model's heads)
                   {"add_peer": "HOST:PORT"}   {"stop": true}
                   {"call": N, "target": COLLECTION|"group", "op": NAME, "args": PACKED}
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from sync.events import NodeEvent, PeerStatus

MAX_LINE = 1 << 20  # a peer list of a thousand devices is far below this


def encode(message: dict[str, Any]) -> bytes:
    return json.dumps(message, separators=(",", ":"), ensure_ascii=True).encode() + b"\n"


def event_message(event: NodeEvent) -> dict[str, Any]:
    return {"event": asdict(event)}


def peers_message(peers: list[PeerStatus]) -> dict[str, Any]:
    return {"peers": [asdict(peer) for peer in peers]}


def decode(line: bytes) -> dict[str, Any] | None:
    """One message, or None for a line that is not one (never an exception)."""
    if len(line) > MAX_LINE:
        return None
    try:
        message = json.loads(line)
    except ValueError:
        return None
    return message if isinstance(message, dict) else None


def event_of(raw: object) -> NodeEvent | None:
    if not isinstance(raw, dict):
        return None
    try:
        return NodeEvent(
            kind=str(raw["kind"]),
            peer=str(raw.get("peer") or ""),
            device_id=str(raw["device_id"]) if raw.get("device_id") else None,
            detail=str(raw.get("detail") or ""),
            at=float(raw.get("at") or 0.0),
        )
    except (KeyError, TypeError, ValueError):
        return None


def peers_of(raw: object) -> list[PeerStatus] | None:
    if not isinstance(raw, list):
        return None
    peers: list[PeerStatus] = []
    for item in raw:
        if not isinstance(item, dict):
            return None
        try:
            peers.append(
                PeerStatus(
                    address=str(item["address"]),
                    device_id=str(item["device_id"]) if item.get("device_id") else None,
                    name=str(item.get("name") or ""),
                    state=str(item.get("state") or ""),
                    last_sync=float(item["last_sync"]) if item.get("last_sync") is not None else None,
                    error=str(item["error"]) if item.get("error") else None,
                )
            )
        except (KeyError, TypeError, ValueError):
            return None
    return peers
