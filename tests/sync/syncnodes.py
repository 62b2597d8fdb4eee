"""Real nodes for tests: groups in temporary data dirs, secure nodes on 127.0.0.1, waiting on conditions.

Test modules import the `lab` fixture from here (tests/sync has no conftest.py: a second
`conftest` module would clash with tests/conftest.py for mypy, and a package named `sync`
with the real one).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from magnet.groupkey import KeyRing
from magnet.home import Home, OpenGroup
from sync.events import NodeConfig, NodeEvent
from sync.membership import OpenDoor
from sync.node import Node
from sync.secure import GroupSecurity, enroll_device
from sync.transport import PlainLink


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
    settings = config(**{"handshake_timeout": 3.0, **changes})
    security = GroupSecurity(group, group.home.device, handshake_timeout=settings.handshake_timeout)
    node = Node(
        group,
        settings,
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


class Lab:
    """Groups and nodes a test made, all closed and stopped at its end."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.groups: list[OpenGroup] = []
        self.nodes: list[Node] = []

    def found(self, member: str = "Ann") -> OpenGroup:
        group = found_group(self.root, member=member)
        self.groups.append(group)
        return group

    def member(self, source: OpenGroup, name: str) -> OpenGroup:
        group = member_of(self.root, source, name)
        self.groups.append(group)
        return group

    async def node(self, group: OpenGroup, recorder: Recorder | None = None, **changes: object) -> Node:
        node = await secure_node(group, recorder, **changes)
        self.nodes.append(node)
        return node

    async def plain(self, group: OpenGroup, recorder: Recorder | None = None, **changes: object) -> Node:
        node = await plain_node(group, recorder, **changes)
        self.nodes.append(node)
        return node

    async def stop(self, node: Node) -> None:
        if node in self.nodes:
            self.nodes.remove(node)
            await node.stop()


@pytest.fixture(name="lab")
async def lab_fixture(tmp_path: Path) -> AsyncIterator[Lab]:
    made = Lab(tmp_path)
    yield made
    for node in reversed(made.nodes):
        await node.stop()
    for group in made.groups:
        group.close()
