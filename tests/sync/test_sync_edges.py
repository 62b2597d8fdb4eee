"""The node's edges before authentication: handshakes counted and capped per address, refusals told
once a minute per address and kind, with a count of what was held back."""

from __future__ import annotations

import asyncio
import contextlib
import struct

from syncnodes import (
    Lab,
    Recorder,
    address,
    lab_fixture,  # noqa: F401 - provides the `lab` fixture
    until,
)

from sync.frames import HELLO, MAGIC, VERSION
from sync.refusals import RefusalLog

HALF_HELLO = struct.pack(">H", 12) + bytes([HELLO]) + struct.pack(">4sBB", MAGIC, VERSION, 1)


async def hold_open(port: int, source: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=(source, 0))
    writer.write(HALF_HELLO)
    await writer.drain()
    return reader, writer


async def closed_at_once(reader: asyncio.StreamReader) -> bool:
    try:
        return await asyncio.wait_for(reader.read(), 0.5) == b""
    except (TimeoutError, ConnectionError):
        return False


async def test_handshakes_count_toward_the_cap_and_a_few_per_address(lab: Lab) -> None:
    ann = lab.found()
    heard = Recorder()
    a = await lab.node(ann, heard, max_connections=6, handshakes_per_address=4, handshake_timeout=30)
    held = [await hold_open(a.port, "127.0.3.1") for _ in range(4)]
    await until(lambda: len(a._handshakes) == 4, what="four handshakes under way")
    reader, writer = await hold_open(a.port, "127.0.3.1")
    assert await closed_at_once(reader)  # a fifth from the same address is refused at once
    writer.close()
    others = [await hold_open(a.port, f"127.0.3.{n}") for n in (2, 3)]
    await until(lambda: len(a._handshakes) == 6, what="the cap reached by handshakes alone")
    reader, writer = await hold_open(a.port, "127.0.3.9")
    assert await closed_at_once(reader)  # full, and no handshake has lingered for a second yet
    writer.close()
    await asyncio.sleep(1.1)
    reader, writer = await hold_open(a.port, "127.0.3.9")
    assert not await closed_at_once(reader)  # now the oldest, lingering one gives way
    assert len(a._handshakes) == 6
    details = [e.detail for e in heard.kinds("rejected")]
    assert any("too many handshakes" in d for d in details) and any("too many connections" in d for d in details)
    for _, w in [*held, *others, (reader, writer)]:
        with contextlib.suppress(Exception):
            w.close()


def test_a_refusal_is_told_once_a_minute_per_address_and_kind_with_a_count() -> None:
    refusals = RefusalLog()
    assert refusals.note("10.0.0.5", "rate", "too many connection attempts", 0.0) is not None
    assert all(refusals.note("10.0.0.5", "rate", "too many connection attempts", t) is None for t in range(1, 30))
    assert refusals.note("10.0.0.5", "full", "too many connections", 30.0) is not None  # another kind
    assert refusals.note("10.0.0.6", "rate", "too many connection attempts", 30.0) is not None  # another address
    assert refusals.flush(59.0) == []
    assert refusals.flush(60.0) == ["refused 29 more from 10.0.0.5 in the last minute: too many connection attempts"]
    assert refusals.note("10.0.0.5", "rate", "too many connection attempts", 61.0) is None  # told at 60 s
    line = refusals.note("10.0.0.5", "rate", "too many connection attempts", 121.0)
    assert line == "refused 10.0.0.5: too many connection attempts (1 more like it in the last minute)"


def test_a_flood_from_many_addresses_is_summed_up_in_one_line() -> None:
    refusals = RefusalLog()  # at most 40 lines a minute in all
    told = [refusals.note(f"10.0.{n // 250}.{n % 250}", "rate", "junk", 1.0) for n in range(1000)]
    assert sum(1 for line in told if line) == 40
    assert refusals.flush(62.0)[-1] == "refused 960 more connections from 960 addresses in the last minute"


async def test_a_stranger_replaying_the_groups_mdns_tag_under_many_names_gets_a_few_dials(lab: Lab) -> None:
    """The tag is in clear text on the network: each replay used to be a new target, without end.

    Fed to the node's discovery callback, as sync/discovery.py hands it what zeroconf resolves.
    """
    from sync.discovery import Service
    from sync.targets import MAX_MDNS_PER_HOST, MAX_MDNS_TARGETS

    ann = lab.found()
    bob = lab.member(ann, "Bob")
    node = await lab.node(ann, backoff_min=1.0, backoff_max=30.0)
    tag = node.membership.discovery_tag()
    for n in range(1500):
        host = f"127.0.{n % 3}.{1 + n % 200}"  # many hosts, closed ports: every dial fails at once
        node._on_service(Service(f"magnet-replay{n:05d}", (host,), 20000 + n, {"v": "1", "t": tag}))
        if n % 100 == 0:
            await asyncio.sleep(0)
    found = [t for t in node.targets if t.source == "mdns"]
    assert len(found) <= MAX_MDNS_TARGETS
    hosts = [t.key.rsplit(":", 1)[0] for t in found]
    assert max(hosts.count(host) for host in hosts) <= MAX_MDNS_PER_HOST
    member = bob.doc.members.add(name="Honest")
    await lab.node(bob, peers=[address(node)])
    await until(lambda: ann.doc.members.find(member.id) is not None, within=15, what="an honest device's sync")
