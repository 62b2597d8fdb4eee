"""Fixtures for the sync tests: the real `sync` package first on the path."""

from __future__ import annotations

import sys
from pathlib import Path

# tests/ is on sys.path for the shared helpers, and tests/sync would otherwise shadow the real
# `sync` package as an empty namespace package when this folder's tests run on their own.
ROOT = str(Path(__file__).resolve().parents[2])
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)


from collections.abc import AsyncIterator  # noqa: E402

import pytest  # noqa: E402
from syncnodes import Recorder, found_group, member_of, plain_node, secure_node  # noqa: E402

from magnet.home import OpenGroup  # noqa: E402
from sync.node import Node  # noqa: E402


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


@pytest.fixture
async def lab(tmp_path: Path) -> AsyncIterator[Lab]:
    made = Lab(tmp_path)
    yield made
    for node in reversed(made.nodes):
        await node.stop()
    for group in made.groups:
        group.close()
