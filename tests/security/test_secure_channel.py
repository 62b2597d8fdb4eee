"""The secure channel over real loopback TCP: who gets in, what a hostile peer can and cannot do."""

from __future__ import annotations

import asyncio
import os
import time
import tracemalloc
from asyncio import StreamReader, StreamWriter
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from magnet.device import DeviceIdentity
from magnet.groupkey import GroupSecret, KeyRing
from security.loopback import Group, Handler, Listen
from sync.channel import (
    ChannelClosed,
    ChannelError,
    FrameError,
    Handshake,
    HandshakeFailed,
    HandshakeRefused,
    HandshakeTimeout,
    Hello,
    HelloKind,
    MessageTooLarge,
    Refusal,
    SecureChannel,
    SecureSession,
    accept,
    admit_members,
    connect,
)
from sync.frames import MAX_FRAGMENT, NOISE, REFUSAL, STATUS, U16, encode_frame

SECRET_TEXT = b"Ana Ruiz, 12 Maple St, insulin in the fridge"


def serve_group(group: Group, identity: DeviceIdentity, handshake_timeout: float = 10) -> Handler:
    async def handler(reader: StreamReader, writer: StreamWriter) -> SecureChannel:
        return await accept(
            reader,
            writer,
            identity=identity,
            admit=admit_members(group.ring, group.is_active),
            handshake_timeout=handshake_timeout,
        )

    return handler


async def read_all_frames(reader: StreamReader) -> list[bytes]:
    """Every frame the peer sends until it closes."""
    frames: list[bytes] = []
    while True:
        try:
            head = await asyncio.wait_for(reader.readexactly(2), 5)
        except asyncio.IncompleteReadError as exc:
            assert exc.partial == b""
            return frames
        frames.append(await reader.readexactly(U16.unpack(head)[0]))


async def drive_client(reader: StreamReader, writer: StreamWriter, handshake: Handshake) -> list[bytes]:
    """Run a client handshake by hand, keeping every frame it sends (to replay them later)."""
    sent = handshake.start()
    for body in sent:
        writer.write(encode_frame(body))
    while not handshake.done:
        head = await asyncio.wait_for(reader.readexactly(2), 5)
        out = handshake.receive(await reader.readexactly(U16.unpack(head)[0]))
        for body in out:
            writer.write(encode_frame(body))
        sent += out
    await writer.drain()
    return sent


def pump(client: Handshake, server: Handshake) -> None:
    """Run two sans-IO handshakes against each other."""
    to_server, to_client = client.start(), server.start()
    while to_server or to_client:
        for frame in to_server:
            to_client += server.receive(frame)
        to_server = []
        for frame in to_client:
            to_server += client.receive(frame)
        to_client = []


def handshakes(
    group: Group,
    *,
    client: DeviceIdentity | None = None,
    secret: GroupSecret | None = None,
    authorize: Callable[[bytes], bool] | None = None,
) -> tuple[Handshake, Handshake]:
    client = client or group.alice
    secret = secret or group.ring.current
    return (
        Handshake.initiator(
            client,
            Hello(HelloKind.MEMBER, epoch=secret.epoch),
            secret.channel_psk(),
            authorize or group.is_active,
        ),
        Handshake.responder(group.bob, admit_members(group.ring, group.is_active)),
    )


# -- who gets in ---------------------------------------------------------------------------


async def test_two_devices_of_one_group_connect_and_talk(listen: Listen, group_keys: Group) -> None:
    listener = await listen(serve_group(group_keys, group_keys.bob))
    reader, writer = await listener.dial()
    client = await connect(
        reader,
        writer,
        identity=group_keys.alice,
        secret=group_keys.ring.current,
        authorize=group_keys.is_active,
    )
    server = await listener.outcome()
    assert isinstance(server, SecureChannel)
    assert client.peer_device_id == group_keys.bob.device_id
    assert server.peer_device_id == group_keys.alice.device_id
    assert server.peer_public_key == group_keys.alice.public_key
    assert client.epoch == server.epoch == 0
    assert client.handshake_hash == server.handshake_hash
    assert server.peer_address.startswith("127.0.0.1:")
    await client.send(SECRET_TEXT)
    assert await server.recv() == SECRET_TEXT
    for n in range(20):
        await server.send(b"reply %d" % n)
    assert [await client.recv() for _ in range(20)] == [b"reply %d" % n for n in range(20)]
    await client.send(b"")
    assert await server.recv() == b""
    client.close()
    with pytest.raises(ChannelClosed):
        await server.recv()
    server.close()


async def test_another_groups_key_is_refused_on_both_sides(listen: Listen, group_keys: Group) -> None:
    listener = await listen(serve_group(group_keys, group_keys.bob))
    reader, writer = await listener.dial()
    stranger_key = GroupSecret.generate()
    with pytest.raises(HandshakeRefused) as refused:
        await connect(reader, writer, identity=group_keys.alice, secret=stranger_key, authorize=lambda _: True)
    assert refused.value.reason is Refusal.KEY_MISMATCH and refused.value.by_peer
    assert isinstance(await listener.outcome(), HandshakeFailed)


async def test_unlisted_device_is_refused_before_any_application_byte(listen: Listen, group_keys: Group) -> None:
    listener = await listen(serve_group(group_keys, group_keys.bob))
    outsider = DeviceIdentity.generate()  # holds the group key (say, a copied file) but is no device
    reader, writer = await listener.dial()
    handshake = Handshake.initiator(
        outsider, Hello(HelloKind.MEMBER), group_keys.ring.current.channel_psk(), lambda _: True
    )
    for body in handshake.start():
        writer.write(encode_frame(body))
    head = await reader.readexactly(2)
    msg2 = await reader.readexactly(U16.unpack(head)[0])
    (msg3,) = handshake.receive(msg2)
    writer.write(encode_frame(msg3))
    received = [msg2, *await read_all_frames(reader)]  # all the listener sends, until it closes
    assert [frame[0] for frame in received] == [NOISE, STATUS]
    with pytest.raises(HandshakeRefused) as refused:
        handshake.receive(received[1])
    assert refused.value.reason is Refusal.NOT_A_MEMBER
    assert refused.value.by_peer and refused.value.authenticated
    server = await listener.outcome()
    assert isinstance(server, HandshakeRefused) and server.reason is Refusal.NOT_A_MEMBER
    assert server.peer and server.peer.startswith("127.0.0.1:")
    writer.close()


async def test_dialer_reveals_itself_only_to_a_device_it_accepts(listen: Listen, group_keys: Group) -> None:
    seen: list[bytes] = []

    async def recording_listener(reader: StreamReader, writer: StreamWriter) -> list[bytes]:
        handshake = Handshake.responder(group_keys.bob, admit_members(group_keys.ring, group_keys.is_active))
        handshake.start()
        while True:
            try:
                head = await reader.readexactly(2)
            except asyncio.IncompleteReadError:
                return seen
            frame = await reader.readexactly(U16.unpack(head)[0])
            seen.append(frame)
            for body in handshake.receive(frame):
                writer.write(encode_frame(body))

    listener = await listen(recording_listener)
    reader, writer = await listener.dial()
    with pytest.raises(HandshakeRefused) as refused:
        await connect(
            reader,
            writer,
            identity=group_keys.alice,
            secret=group_keys.ring.current,
            authorize=lambda key: key != group_keys.bob.public_key,  # bob was revoked
        )
    assert refused.value.reason is Refusal.NOT_A_MEMBER and not refused.value.by_peer
    await listener.outcome()
    assert [frame[0] for frame in seen] == [1, NOISE]  # hello and e: alice's static never left


async def test_revoked_device_is_refused_even_with_the_old_secret(listen: Listen, group_keys: Group) -> None:
    old = group_keys.ring.current
    group_keys.members.discard(group_keys.carol.public_key)  # carol's laptop was lost
    group_keys.rotate()
    listener = await listen(serve_group(group_keys, group_keys.bob))
    reader, writer = await listener.dial()
    with pytest.raises(HandshakeRefused) as refused:
        await connect(reader, writer, identity=group_keys.carol, secret=old, authorize=lambda _: True)
    assert refused.value.reason is Refusal.NOT_A_MEMBER
    assert isinstance(await listener.outcome(), HandshakeRefused)


async def test_active_device_on_an_old_epoch_gets_in_to_be_told_the_new_one(listen: Listen, group_keys: Group) -> None:
    old = group_keys.ring.current
    group_keys.rotate()
    listener = await listen(serve_group(group_keys, group_keys.bob))
    reader, writer = await listener.dial()
    client = await connect(reader, writer, identity=group_keys.carol, secret=old, authorize=group_keys.is_active)
    server = await listener.outcome()
    assert isinstance(server, SecureChannel)
    assert server.epoch == old.epoch < group_keys.ring.current.epoch
    client.close()
    server.close()


async def test_a_failing_policy_callback_leaves_no_connection_open(listen: Listen, group_keys: Group) -> None:
    def broken(_key: bytes) -> bool:
        raise RuntimeError("device list unreadable")

    async def handler(reader: StreamReader, writer: StreamWriter) -> SecureChannel:
        return await accept(reader, writer, identity=group_keys.bob, admit=admit_members(group_keys.ring, broken))

    listener = await listen(handler)
    reader, writer = await listener.dial()
    with pytest.raises(ChannelClosed):
        await connect(
            reader, writer, identity=group_keys.alice, secret=group_keys.ring.current, authorize=group_keys.is_active
        )
    outcome = await listener.outcome()
    assert isinstance(outcome, RuntimeError)


async def test_unknown_epoch_is_refused_with_the_listeners_newest(listen: Listen, group_keys: Group) -> None:
    group_keys.rotate()
    listener = await listen(serve_group(group_keys, group_keys.bob))
    reader, writer = await listener.dial()
    ahead = GroupSecret(7, os.urandom(32))
    with pytest.raises(HandshakeRefused) as refused:
        await connect(reader, writer, identity=group_keys.alice, secret=ahead, authorize=lambda _: True)
    assert refused.value.reason is Refusal.UNKNOWN_EPOCH
    assert refused.value.detail == 1 and not refused.value.authenticated


def test_peers_that_disagree_on_the_protocol_version_fail() -> None:
    group = KeyRing.found()
    alice, bob = DeviceIdentity.generate(), DeviceIdentity.generate()
    client = Handshake.initiator(
        alice,
        Hello(HelloKind.MEMBER),
        group.current.channel_psk(),
        lambda _: True,
        protocol=b"magnet-sync/2",
    )
    server = Handshake.responder(bob, admit_members(group, lambda _: True))
    with pytest.raises(HandshakeFailed):
        pump(client, server)


def test_a_hello_altered_on_the_way_fails_the_handshake(group_keys: Group) -> None:
    group_keys.rotate()
    client, server = handshakes(group_keys)
    hello, first = client.start()
    # Someone on the path turns epoch 1 into epoch 0 (both held): the prologue no longer
    # matches, so the listener cannot even read the first Noise message.
    altered = bytearray(hello)
    altered[-3] ^= 0x01
    server.receive(bytes(altered))
    assert server.hello is not None and server.hello.epoch == 0
    with pytest.raises(HandshakeFailed):
        server.receive(first)


# -- replays, reordering, tampering ------------------------------------------------------


async def test_replayed_recorded_handshake_fails(listen: Listen, group_keys: Group) -> None:
    listener = await listen(serve_group(group_keys, group_keys.bob))
    reader, writer = await listener.dial()
    client_hs, _ = handshakes(group_keys)
    recorded = await drive_client(reader, writer, client_hs)
    session = client_hs.session
    for frame in session.seal(SECRET_TEXT):
        writer.write(encode_frame(frame))
        recorded.append(frame)
    genuine = await listener.outcome()
    assert isinstance(genuine, SecureChannel) and await genuine.recv() == SECRET_TEXT

    # An eavesdropper replays alice's side of that session on a new connection.
    reader2, writer2 = await listener.dial()
    for frame in recorded:
        writer2.write(encode_frame(frame))
    answered = await read_all_frames(reader2)
    assert [frame[0] for frame in answered] == [NOISE, REFUSAL]  # a fresh msg2, then "no"
    assert isinstance(await listener.outcome(), HandshakeFailed)
    writer.close()
    writer2.close()


def test_replayed_listener_answer_fails_for_the_dialer(group_keys: Group) -> None:
    first_client, first_server = handshakes(group_keys)
    recorded_answer = []
    to_server = first_client.start()
    for frame in to_server:
        recorded_answer += first_server.receive(frame)
    second_client, _ = handshakes(group_keys)
    second_client.start()
    with pytest.raises(HandshakeFailed):
        second_client.receive(recorded_answer[0])


async def _session_pair(listen: Listen, group_keys: Group) -> tuple[SecureSession, StreamWriter, SecureChannel]:
    listener = await listen(serve_group(group_keys, group_keys.bob))
    reader, writer = await listener.dial()
    client_hs, _ = handshakes(group_keys)
    await drive_client(reader, writer, client_hs)
    server = await listener.outcome()
    assert isinstance(server, SecureChannel)
    return client_hs.session, writer, server


async def test_replayed_transport_frame_is_rejected(listen: Listen, group_keys: Group) -> None:
    session, writer, server = await _session_pair(listen, group_keys)
    (frame,) = session.seal(b"check-in: safe")
    writer.write(encode_frame(frame) + encode_frame(frame))
    assert await server.recv() == b"check-in: safe"
    with pytest.raises(ChannelError, match="replayed"):
        await server.recv()
    writer.close()


async def test_reordered_transport_frames_are_rejected(listen: Listen, group_keys: Group) -> None:
    session, writer, server = await _session_pair(listen, group_keys)
    (first,) = session.seal(b"first")
    (second,) = session.seal(b"second")
    writer.write(encode_frame(second) + encode_frame(first))
    with pytest.raises(ChannelError, match="reordered"):
        await server.recv()
    writer.close()


async def test_altered_transport_frame_is_rejected(listen: Listen, group_keys: Group) -> None:
    session, writer, server = await _session_pair(listen, group_keys)
    (frame,) = session.seal(b"stock: 12 blankets")
    altered = bytearray(frame)
    altered[5] ^= 0x20
    writer.write(encode_frame(bytes(altered)))
    with pytest.raises(ChannelError):
        await server.recv()
    writer.close()


async def test_connection_cut_mid_message_delivers_nothing(listen: Listen, group_keys: Group) -> None:
    session, writer, server = await _session_pair(listen, group_keys)
    frames = session.seal(os.urandom(3 * MAX_FRAGMENT))
    for frame in frames[:-1]:
        writer.write(encode_frame(frame))
    await writer.drain()
    writer.close()
    with pytest.raises(ChannelClosed):
        await server.recv()


# -- hostile bytes before authentication --------------------------------------------------


async def test_oversized_frame_before_auth_is_refused_at_once(listen: Listen, group_keys: Group) -> None:
    listener = await listen(serve_group(group_keys, group_keys.bob, handshake_timeout=30))
    reader, writer = await listener.dial()
    started = time.perf_counter()
    writer.write(b"\xff\xff" + b"x" * 1000)  # claims 65,535 bytes; keeps the connection open
    outcome = await listener.outcome()
    assert isinstance(outcome, FrameError)
    assert time.perf_counter() - started < 1.0  # refused on the length, not after a timeout
    assert await reader.read() == b""  # and closed, silently
    writer.close()


async def test_http_probe_is_refused(listen: Listen, group_keys: Group) -> None:
    listener = await listen(serve_group(group_keys, group_keys.bob))
    _, writer = await listener.dial()
    writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert isinstance(await listener.outcome(), FrameError)
    writer.close()


async def test_newer_protocol_version_gets_a_clear_refusal(listen: Listen, group_keys: Group) -> None:
    listener = await listen(serve_group(group_keys, group_keys.bob))
    reader, writer = await listener.dial()
    hello = bytearray(b"\x01" + Hello(HelloKind.MEMBER).encode())
    hello[5] = 2  # version byte
    writer.write(encode_frame(bytes(hello)))
    answered = await read_all_frames(reader)
    assert [frame[0] for frame in answered] == [REFUSAL]
    client = Handshake.initiator(group_keys.alice, Hello(HelloKind.MEMBER), b"\x00" * 32, bool)
    client.start()
    with pytest.raises(HandshakeRefused, match="version 1: update magnet"):
        client.receive(answered[0])
    writer.close()


async def test_many_hostile_connections_stay_within_small_memory(listen: Listen, group_keys: Group) -> None:
    listener = await listen(serve_group(group_keys, group_keys.bob))
    tracemalloc.start()
    try:
        writers = []
        for n in range(50):
            _, writer = await listener.dial()
            writer.write(U16.pack(0xFFFF - n) + os.urandom(4096))
            writers.append(writer)
        outcomes = [await listener.outcome() for _ in writers]
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert all(isinstance(o, FrameError) for o in outcomes)
    assert peak < 2 * 1024 * 1024
    for writer in writers:
        writer.close()


def _garbage_outcome(data: bytes, group: Group) -> object:
    async def scenario() -> object:
        results: asyncio.Queue[object] = asyncio.Queue()

        async def handler(reader: StreamReader, writer: StreamWriter) -> None:
            try:
                result: object = await accept(
                    reader,
                    writer,
                    identity=group.bob,
                    admit=admit_members(group.ring, group.is_active),
                    handshake_timeout=2,
                )
            except Exception as exc:
                result = exc
            await results.put(result)

        server = await asyncio.start_server(handler, "127.0.0.1", 0)
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", server.sockets[0].getsockname()[1])
            writer.write(data)
            writer.write_eof()
            outcome = await asyncio.wait_for(results.get(), 5)
            writer.close()
            return outcome
        finally:
            server.close()

    return asyncio.run(scenario())


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.one_of(
        st.binary(max_size=600),
        st.lists(st.binary(min_size=1, max_size=300), max_size=5).map(
            lambda frames: b"".join(U16.pack(len(f)) + f for f in frames)
        ),
    )
)
def test_garbage_before_auth_never_opens_a_channel(group_keys: Group, data: bytes) -> None:
    started = time.perf_counter()
    outcome = _garbage_outcome(data, group_keys)
    assert isinstance(outcome, ChannelError), outcome
    assert not isinstance(outcome, HandshakeTimeout)  # refused on the bytes, not by waiting
    assert time.perf_counter() - started < 2


_frames = st.lists(st.binary(max_size=300), max_size=6)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(_frames, st.booleans())
def test_sans_io_handshake_only_ever_raises_channel_errors(
    group_keys: Group, frames: list[bytes], as_initiator: bool
) -> None:
    client, server = handshakes(group_keys)
    target = client if as_initiator else server
    target.start()
    with pytest.raises(ChannelError):
        for frame in frames:
            target.receive(frame)
        raise ChannelError("ran out of frames")  # a handshake fed garbage never completes
    assert not target.done


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.integers(min_value=1, max_value=3), _frames, st.integers(min_value=0, max_value=2))
def test_garbage_mid_handshake_only_ever_raises_channel_errors(
    group_keys: Group, genuine: int, frames: list[bytes], mutate: int
) -> None:
    """A peer that starts honestly and then sends garbage (or a byte-flipped genuine frame)."""
    client, server = handshakes(group_keys)
    to_server = client.start()
    to_client: list[bytes] = []
    for frame in to_server[:genuine]:
        to_client += server.receive(frame)
    if mutate and to_client:
        bad = bytearray(to_client[0])
        bad[-mutate] ^= 0x80
        frames = [bytes(bad), *frames]
    with pytest.raises(ChannelError):
        for frame in frames:
            client.receive(frame)
        raise ChannelError("ran out of frames")
    assert not client.done


@settings(max_examples=300, deadline=None)
@given(st.lists(st.binary(max_size=200), min_size=1, max_size=4))
def test_sans_io_session_rejects_forged_frames(frames: list[bytes]) -> None:
    group = KeyRing.found()
    alice, bob = DeviceIdentity.generate(), DeviceIdentity.generate()
    client = Handshake.initiator(alice, Hello(HelloKind.MEMBER), group.current.channel_psk(), bool)
    server = Handshake.responder(bob, admit_members(group, bool))
    pump(client, server)
    with pytest.raises(ChannelError):
        for frame in frames:
            server.session.open(frame)


# -- timeouts, sizes, fragments -----------------------------------------------------------


async def test_silent_dialer_times_out(listen: Listen, group_keys: Group) -> None:
    listener = await listen(serve_group(group_keys, group_keys.bob, handshake_timeout=0.2))
    reader, writer = await listener.dial()
    started = time.perf_counter()
    outcome = await listener.outcome()
    assert isinstance(outcome, HandshakeTimeout)
    assert 0.15 < time.perf_counter() - started < 2
    assert await reader.read() == b""  # the listener hung up
    writer.close()


async def test_silent_listener_times_out(listen: Listen, group_keys: Group) -> None:
    async def mute(reader: StreamReader, writer: StreamWriter) -> None:
        await reader.read()

    listener = await listen(mute)
    reader, writer = await listener.dial()
    with pytest.raises(HandshakeTimeout):
        await connect(
            reader,
            writer,
            identity=group_keys.alice,
            secret=group_keys.ring.current,
            authorize=group_keys.is_active,
            handshake_timeout=0.2,
        )


async def test_five_megabyte_message_round_trips(listen: Listen, group_keys: Group) -> None:
    listener = await listen(serve_group(group_keys, group_keys.bob))
    reader, writer = await listener.dial()
    client = await connect(
        reader,
        writer,
        identity=group_keys.alice,
        secret=group_keys.ring.current,
        authorize=group_keys.is_active,
    )
    server = await listener.outcome()
    assert isinstance(server, SecureChannel)
    snapshot = os.urandom(5 * 1024 * 1024)

    async def send_both() -> None:
        await client.send(snapshot)
        await client.send(b"after")

    async def receive_both() -> list[bytes]:
        return [await server.recv(), await server.recv()]

    _, received = await asyncio.gather(send_both(), receive_both())
    assert received == [snapshot, b"after"]
    client.close()
    server.close()


def _sessions(max_message: int) -> tuple[SecureSession, SecureSession]:
    group = KeyRing.found()
    client = Handshake.initiator(
        DeviceIdentity.generate(),
        Hello(HelloKind.MEMBER),
        group.current.channel_psk(),
        bool,
    )
    server = Handshake.responder(DeviceIdentity.generate(), admit_members(group, bool), max_message=max_message)
    pump(client, server)
    return client.session, server.session


@pytest.mark.parametrize(
    ("size", "frames"),
    [(0, 1), (1, 1), (MAX_FRAGMENT, 1), (MAX_FRAGMENT + 1, 2), (5 * 1024 * 1024, 81)],
)
def test_messages_are_cut_into_noise_sized_fragments(size: int, frames: int) -> None:
    sender, receiver = _sessions(64 * 1024 * 1024)
    message = os.urandom(size)
    sealed = sender.seal(message)
    assert len(sealed) == frames
    assert all(len(frame) <= 65535 for frame in sealed)
    opened = [receiver.open(frame) for frame in sealed]
    assert opened[:-1] == [None] * (frames - 1)
    assert opened[-1] == message


def test_message_over_the_limit_is_refused_before_it_is_buffered() -> None:
    sender, receiver = _sessions(max_message=1024 * 1024)
    frames = sender.seal(os.urandom(3 * 1024 * 1024))
    opened = 0
    with pytest.raises(MessageTooLarge):
        for frame in frames:
            receiver.open(frame)
            opened += 1
    assert opened == 1024 * 1024 // MAX_FRAGMENT  # refused at the first fragment past the limit
    with pytest.raises(ChannelError):
        receiver.open(frames[-1])  # and the channel stays shut


def test_sender_refuses_a_message_over_its_own_limit() -> None:
    sender, _ = _sessions(64 * 1024 * 1024)
    sender.max_message = 1000
    with pytest.raises(MessageTooLarge):
        sender.seal(b"x" * 1001)
