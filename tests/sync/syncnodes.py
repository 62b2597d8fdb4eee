"""Real nodes for tests: groups in temporary data dirs, secure nodes on 127.0.0.1, waiting on conditions."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

from magnet.groupkey import KeyRing
from magnet.home import Home, OpenGroup
from sync.events import NodeConfig, NodeEvent
from sync.node import Node
from sync.secure import GroupSecurity, enroll_device
from sync.transport import OpenDoor, PlainLink


def found_group(root: Path, name: str = "Maple Street MAG", member: str = "Ann") -> OpenGroup:
    return Home(root / member.lower()).create_group(name, member_name=member)


def member_of(root: Path, source: OpenGroup, member: str) -> OpenGroup:
    """Another device of `source`'s group, as `magnet join` would set it up."""
    home = Home(root / member.lower())
    enroll_device(source, home.device.public_key, member)
    group = home.adopt_group(source.doc.save())
    KeyRing.load(source.path).save(group.path)
    return group


class Recorder:
    """Collects a node's events."""

    def __init__(self) -> None:
        self.events: list[NodeEvent] = []

    def __call__(self, event: NodeEvent) -> None:
        self.events.append(event)

    def kinds(self, kind: str) -> list[NodeEvent]:
        return [e for e in self.events if e.kind == kind]


def config(**changes: object) -> NodeConfig:
    base = NodeConfig(
        port=0,
        interfaces=["127.0.0.1"],
        discovery=False,
        keepalive=0.5,
        dead_after=2.0,
        poll_interval=0.05,
        backoff_min=0.05,
        backoff_max=0.5,
    )
    for key, value in changes.items():
        setattr(base, key, value)
    return base


async def secure_node(group: OpenGroup, recorder: Recorder | None = None, **changes: object) -> Node:
    security = GroupSecurity(group, group.home.device, handshake_timeout=3.0)
    node = Node(
        group,
        config(**changes),
        link=security,
        membership=security,
        device_id=group.home.device.device_id,
        on_event=recorder,
    )
    await node.start()
    return node


async def plain_node(group: OpenGroup, recorder: Recorder | None = None, **changes: object) -> Node:
    node = Node(
        group,
        config(**changes),
        link=PlainLink(),
        membership=OpenDoor(),
        device_id=group.home.device.device_id,
        on_event=recorder,
    )
    await node.start()
    return node


def address(node: Node) -> str:
    return f"127.0.0.1:{node.port}"


async def until(condition: Callable[[], bool], within: float = 10.0, what: str = "the condition") -> float:
    """Wait until `condition()` holds; returns how long it took. Fails after `within` seconds."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > within:
            raise AssertionError(f"timed out after {within:g} s waiting for {what}")
        await asyncio.sleep(0.005)
    return time.monotonic() - started


def same(*groups: OpenGroup) -> bool:
    first = sorted(groups[0].doc.heads())
    return all(sorted(g.doc.heads()) == first for g in groups[1:])
