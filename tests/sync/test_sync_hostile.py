"""A hostile peer at a running node: junk, floods and replays change nothing and cost the others nothing."""

from __future__ import annotations

import asyncio
import socket
import struct
import sys
from collections.abc import Iterator
from pathlib import Path

import msgpack
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from syncnodes import Recorder, found_group, member_of

from magnet.home import OpenGroup
from sync.frames import HELLO, MAGIC, NOISE, VERSION
from sync.protocol import Hello, decode, encode
from sync.runner import NodeConfig, NodeHandle

if sys.platform != "win32":
    import resource

pytestmark = pytest.mark.slow


class Target:
    def __init__(self, ann: OpenGroup, bob: OpenGroup, node: NodeHandle, heard: Recorder) -> None:
        self.ann, self.bob, self.node, self.heard = ann, bob, node, heard
        self.heads = ann.doc.heads()


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    root: Path = tmp_path_factory.mktemp("hostile")
    ann = found_group(root)
    bob = member_of(root, ann, "Bob")
    heard = Recorder()
    config = NodeConfig(
        port=0,
        interfaces=["127.0.0.1"],
        discovery=False,
        handshake_timeout=1.0,
        connection_burst=100_000,
        connections_per_second=100_000.0,
    )
    node = NodeHandle(ann, config, heard)
    node.start()
    try:
        yield Target(ann, bob, node, heard)
    finally:
        node.stop()
        ann.close()
        bob.close()


def attack(port: int, data: bytes) -> bytes:
    """Send `data`, then read what the node says until it hangs up (or 3 s pass)."""
    with socket.create_connection(("127.0.0.1", port), timeout=3) as sock:
        try:
            sock.sendall(data)
            sock.shutdown(socket.SHUT_WR)
        except OSError:
            return b""  # the node already hung up
        received = b""
        try:
            while chunk := sock.recv(65536):
                received += chunk
        except OSError:
            pass
        return received


def frame(body: bytes) -> bytes:
    return struct.pack(">H", len(body) & 0xFFFF) + body


hello_head = struct.pack(">4sBBI", MAGIC, VERSION, 1, 0)
hostile = st.one_of(
    st.binary(max_size=600),
    st.binary(max_size=300).map(frame),
    st.binary(max_size=200).map(lambda b: frame(bytes([HELLO]) + b)),
    st.binary(max_size=120).map(lambda b: frame(bytes([HELLO]) + hello_head + b"\x00\x00") + frame(bytes([NOISE]) + b)),
    st.integers(257, 65535).map(lambda n: struct.pack(">H", n) + b"\x01" * 300),
    st.lists(st.binary(min_size=1, max_size=80).map(frame), max_size=20).map(b"".join),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=hostile)
def test_junk_before_the_handshake_is_refused_without_a_byte_of_the_document(target: Target, data: bytes) -> None:
    answer = attack(target.node.port, data)
    # At most a handshake message and a refusal: never anything near a document's size.
    assert len(answer) < 200
    assert target.ann.doc.heads() == target.heads


async def test_junk_after_the_handshake_from_a_member_changes_nothing(target: Target) -> None:
    from sync.channel import ChannelClosed, connect
    from sync.secure import GroupSecurity

    security = GroupSecurity(target.bob, target.bob.home.device)
    junk = [
        b"\xc1",
        msgpack.packb([5, [b"not a change"], [bytes(32)]]),
        msgpack.packb([6, b"not a document", [bytes(32)]]),
        msgpack.packb([7, b"\x42\x99garbage"]),
        msgpack.packb([3, [bytes(31)], 1]),
        msgpack.packb([42]),
    ]
    for message in junk:
        reader, writer = await asyncio.open_connection("127.0.0.1", target.node.port)
        channel = await connect(
            reader, writer, identity=target.bob.home.device, secret=security.ring().current, authorize=lambda _k: True
        )
        hello = Hello(target.bob.home.device.device_id, target.ann.doc.group_id, tuple(target.ann.doc.heads()), 1)
        await channel.send(encode(hello))
        await channel.send(message)
        try:  # the node either hangs up or answers (bogus change bytes are dropped, then asked for again)
            while isinstance(decode(await asyncio.wait_for(channel.recv(), 5)), Hello):
                pass
        except ChannelClosed:
            pass
        channel.close()
    from syncnodes import until

    # The node reports each refusal from its own thread; wait for the last one (the unknown type
    # 42), so none of them lands in the next test's window.
    await until(
        lambda: any("unknown message type 42" in e.detail for e in target.heard.kinds("rejected")),
        what="the refusal of the last junk message",
    )
    assert target.ann.doc.heads() == target.heads
    assert any("malformed" in e.detail or "bad document" in e.detail for e in target.heard.kinds("rejected"))


def peak_memory_kib() -> int:
    if sys.platform == "win32":
        pytest.skip("peak memory is read with getrusage, which Windows lacks")
    else:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak // 1024 if sys.platform == "darwin" else peak  # macOS counts bytes, Linux KiB


def test_after_all_that_an_honest_device_still_syncs_and_memory_stayed_bounded(target: Target) -> None:
    peak_before = peak_memory_kib()
    earlier = len(target.heard.events)  # the junk test above had Bob's key send junk: those refusals are right
    for _ in range(200):
        attack(target.node.port, frame(bytes([HELLO]) + hello_head + b"\x00\x00") + b"\x00" * 5000)
    member = target.bob.doc.members.add(name="Honest edit")

    async def sync_bob() -> None:
        from syncnodes import secure_node, until

        bob = await secure_node(target.bob, peers=[f"127.0.0.1:{target.node.port}"])
        try:
            await until(lambda: target.ann.doc.members.find(member.id) is not None, what="the honest edit")
            # While Bob is connected his session is clean.  (Once he stops, Ann's node may try to
            # dial him back and log "connect call failed": that is the node working, not a refusal.)
            await until(
                lambda: any(
                    p.state == "synced" and p.error is None for p in target.node.peers() if p.device_id == bob_id
                ),
                what="Bob shown as synced without an error",
            )
        finally:
            await bob.stop()

    bob_id = target.bob.home.device.device_id
    asyncio.run(sync_bob())
    grown_kb = peak_memory_kib() - peak_before
    assert grown_kb < 64 * 1024
    assert not [e for e in target.heard.events[earlier:] if e.kind == "rejected" and e.device_id == bob_id]


async def test_a_replayed_session_gets_nothing_and_changes_nothing(tmp_path: Path) -> None:
    from syncnodes import address, secure_node, until

    ann = found_group(tmp_path)
    bob = member_of(tmp_path, ann, "Bob")
    node = await secure_node(ann)
    recorded: list[bytes] = []

    async def relay(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """A man in the middle that records what Bob sends to Ann."""
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", node.port)

        async def pump(src: asyncio.StreamReader, dst: asyncio.StreamWriter, keep: bool) -> None:
            while chunk := await src.read(65536):
                if keep:
                    recorded.append(chunk)
                dst.write(chunk)
                await dst.drain()
            dst.close()

        await asyncio.gather(pump(reader, up_writer, True), pump(up_reader, writer, False), return_exceptions=True)

    proxy = await asyncio.start_server(relay, "127.0.0.1", 0)
    bob_node = await secure_node(bob, peers=[f"127.0.0.1:{proxy.sockets[0].getsockname()[1]}"])
    member = bob.doc.members.add(name="Sent through the middle")
    await until(lambda: ann.doc.members.find(member.id) is not None)
    await bob_node.stop()
    proxy.close()
    ann.doc.members.archive(member.id)  # Ann moves on; a replay must not bring anything back
    heads = ann.doc.heads()
    reader, writer = await asyncio.open_connection("127.0.0.1", node.port)
    writer.write(b"".join(recorded))
    await writer.drain()
    answer = await asyncio.wait_for(reader.read(), 5)
    writer.close()
    assert len(answer) < 200  # handshake replies only
    assert ann.doc.heads() == heads and ann.doc.members.get(member.id).archived
    assert address(node)
    await node.stop()
    bob.close()
    ann.close()


async def test_a_flood_from_one_address_is_cut_off_and_reported_once(tmp_path: Path) -> None:
    from syncnodes import secure_node, until

    ann = found_group(tmp_path)
    heard = Recorder()
    node = await secure_node(ann, heard, connection_burst=5, connections_per_second=0.1)
    for _ in range(20):
        _, writer = await asyncio.open_connection("127.0.0.1", node.port)
        writer.close()

    def floods() -> list[object]:
        return [e for e in heard.kinds("rejected") if "too many connection attempts" in e.detail]

    await until(lambda: len(floods()) > 0, what="the flood noticed")
    [flood] = floods()
    assert flood.peer == "127.0.0.1"  # type: ignore[attr-defined]
    await node.stop()
    ann.close()
