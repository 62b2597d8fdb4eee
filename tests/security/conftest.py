"""Fixtures for the security tests: real TCP listeners on 127.0.0.1 and a group's devices."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest

from security.loopback import Group, Handler, Listen, Listener


@pytest.fixture
async def listen() -> AsyncIterator[Listen]:
    servers: list[asyncio.Server] = []
    listeners: list[Listener] = []

    async def start(handler: Handler) -> Listener:
        listener = Listener(handler)
        server = await asyncio.start_server(listener.on_connection, "127.0.0.1", 0)
        listener.port = server.sockets[0].getsockname()[1]
        servers.append(server)
        listeners.append(listener)
        return listener

    yield start
    for listener in listeners:
        for writer in listener.writers:
            writer.close()
    for server in servers:
        server.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(server.wait_closed(), 2)


@pytest.fixture
def group_keys() -> Group:
    return Group()
