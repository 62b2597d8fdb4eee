"""The wire format: every message round-trips, and nothing a peer sends escapes as anything but ProtocolError."""

from __future__ import annotations

import contextlib

import msgpack
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sync.protocol import (
    MAGIC,
    MAX_HEADS,
    VERSION,
    Ack,
    Changes,
    Close,
    CloseCode,
    Hello,
    IncompatibleVersion,
    Keys,
    Lack,
    Message,
    Ping,
    Pong,
    ProtocolError,
    Snapshot,
    State,
    Sync,
    decode,
    encode,
)

H = bytes(range(32))
HEADS = (H, bytes(32))

MESSAGES: list[Message] = [
    Hello("ab" * 16, "g" * 32, HEADS, 12, (H,), 3, 7787),
    Close(CloseCode.VERSION, "update magnet"),
    State(HEADS, 4),
    Lack((), 0),
    Changes((b"\x85o" * 40, b"x"), HEADS),
    Changes((b"y",)),
    Snapshot(b"automerge bytes", (H,)),
    Sync(b"\x42\x00"),
    Ack(HEADS),
    Ping((H,), 9),
    Pong(),
    Keys(2, bytes(32)),
]


@pytest.mark.parametrize("message", MESSAGES, ids=lambda m: type(m).__name__)
def test_every_message_round_trips(message: Message) -> None:
    assert decode(encode(message)) == message


def test_an_edit_costs_a_few_bytes_beyond_its_change() -> None:
    change = bytes(152)
    assert len(encode(Changes((change,), (H,)))) - len(change) < 45


def test_a_newer_peer_is_refused_clearly_and_its_hello_still_read() -> None:
    future = msgpack.packb([1, MAGIC, VERSION + 1, VERSION + 1, {"d": "x", "new": [1, 2]}])
    with pytest.raises(IncompatibleVersion, match="update magnet here"):
        decode(future)
    older = msgpack.packb([1, MAGIC, 0, 0, {}])
    with pytest.raises(IncompatibleVersion, match="update magnet there"):
        decode(older)


def test_a_later_version_that_still_speaks_ours_is_accepted() -> None:
    later = msgpack.packb([1, MAGIC, VERSION + 3, VERSION, {"d": "x", "g": "", "h": [], "n": 0, "extra": True}])
    hello = decode(later)
    assert isinstance(hello, Hello) and hello.version == VERSION + 3


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\xc1",
        msgpack.packb({"t": 1}),
        msgpack.packb([99]),
        msgpack.packb([1, "other-protocol", 1, 1, {}]),
        msgpack.packb([3, [b"short"], 1]),
        msgpack.packb([3, [H] * (MAX_HEADS + 1), 1]),
        msgpack.packb([5, [b""], None]),
        msgpack.packb([8, [H], "extra"]),
        msgpack.packb([9, [H], -1]),
        msgpack.packb([11, 1, b"short"]),
        msgpack.packb([2, 0, "x" * 5000]),
        msgpack.packb([8, [H]]) + b"trailing",
        msgpack.packb([True, [H]]),
    ],
)
def test_malformed_messages_are_refused(data: bytes) -> None:
    with pytest.raises(ProtocolError):
        decode(data)


def test_oversized_messages_are_refused_before_unpacking() -> None:
    with pytest.raises(ProtocolError, match="over the limit"):
        decode(encode(Snapshot(bytes(2000), (H,))), max_message=1000)


@given(st.binary(max_size=300))
def test_random_bytes_are_refused_or_read(data: bytes) -> None:
    with contextlib.suppress(ProtocolError):
        decode(data)


values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**64 - 1) | st.binary(max_size=40) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=3), inner, max_size=4),
    max_leaves=20,
)


@given(st.integers(0, 12), st.lists(values, max_size=5))
def test_well_formed_msgpack_of_the_wrong_shape_is_refused_or_read(kind: int, rest: list[object]) -> None:
    with contextlib.suppress(ProtocolError):
        decode(msgpack.packb([kind, *rest]))
