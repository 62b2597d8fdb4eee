"""Cost of the secure channel on loopback: handshake time, and encryption beside plain TCP.

Prints the median Noise XXpsk3 handshake over 200 connections, then, for a 216 KB message (a
year-sized group's saved document, the first-sync snapshot) and a 152-byte one (one edit's raw
change), the time to deliver it and get a one-byte acknowledgement, encrypted and plain, in the
same run, with the bytes on the wire for each. Run: .venv/bin/python bench/handshake.py
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from magnet.device import DeviceIdentity
from magnet.groupkey import KeyRing
from sync.channel import SecureChannel, accept, admit_members, connect
from sync.frames import MAX_FRAGMENT, TAG_LEN, U16

HANDSHAKES = 200
SIZES = {"first sync, 216 KB snapshot": (216 * 1024, 300), "one edit, 152 B change": (152, 3000)}


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.3f} ms"


async def bench_handshakes(ring: KeyRing, alice: DeviceIdentity, bob: DeviceIdentity) -> list[float]:
    members = {alice.public_key, bob.public_key}

    async def on_connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        channel = await accept(reader, writer, identity=bob, admit=admit_members(ring, members.__contains__))
        channel.close()

    server = await asyncio.start_server(on_connection, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    times = []
    for _ in range(HANDSHAKES):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        started = time.perf_counter()
        channel = await connect(reader, writer, identity=alice, secret=ring.current, authorize=members.__contains__)
        times.append(time.perf_counter() - started)
        channel.close()
        await channel.wait_closed()
    server.close()
    await server.wait_closed()
    return times


HANDLERS_DONE: list[asyncio.Event] = []


async def secure_pair(
    ring: KeyRing, alice: DeviceIdentity, bob: DeviceIdentity
) -> tuple[SecureChannel, asyncio.Server]:
    members = {alice.public_key, bob.public_key}

    async def echo_ack(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        done = asyncio.Event()
        HANDLERS_DONE.append(done)
        channel = await accept(reader, writer, identity=bob, admit=admit_members(ring, members.__contains__))
        try:
            while True:
                await channel.recv()
                await channel.send(b"k")
        except Exception:
            channel.close()
        finally:
            done.set()

    server = await asyncio.start_server(echo_ack, "127.0.0.1", 0)
    reader, writer = await asyncio.open_connection("127.0.0.1", server.sockets[0].getsockname()[1])
    channel = await connect(reader, writer, identity=alice, secret=ring.current, authorize=members.__contains__)
    return channel, server


async def plain_pair() -> tuple[asyncio.StreamReader, asyncio.StreamWriter, asyncio.Server]:
    """The same exchange without the channel: a 4-byte length prefix and the raw bytes."""

    async def echo_ack(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        done = asyncio.Event()
        HANDLERS_DONE.append(done)
        try:
            while True:
                size = int.from_bytes(await reader.readexactly(4), "big")
                await reader.readexactly(size)
                writer.write(b"k")
                await writer.drain()
        except Exception:
            writer.close()
        finally:
            done.set()

    server = await asyncio.start_server(echo_ack, "127.0.0.1", 0)
    reader, writer = await asyncio.open_connection("127.0.0.1", server.sockets[0].getsockname()[1])
    return reader, writer, server


async def timed(rounds: int, exchange: Callable[[], Awaitable[None]]) -> float:
    for _ in range(min(rounds, 20)):  # warm up
        await exchange()
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        await exchange()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def wire_bytes(size: int) -> int:
    fragments = max(1, -(-size // MAX_FRAGMENT))
    return size + fragments * (U16.size + 1 + TAG_LEN)


async def main() -> None:
    ring = KeyRing.found()
    alice, bob = DeviceIdentity.generate(), DeviceIdentity.generate()
    print(f"python {sys.version.split()[0]} on {os.cpu_count()} cores, loopback TCP")

    times = await bench_handshakes(ring, alice, bob)
    quantiles = statistics.quantiles(times, n=10)
    print(
        f"handshake (Noise XXpsk3 + confirmation, {HANDSHAKES} runs): median {ms(statistics.median(times))}, "
        f"p10 {ms(quantiles[0])}, p90 {ms(quantiles[-1])}"
    )

    channel, secure_server = await secure_pair(ring, alice, bob)
    reader, writer, plain_server = await plain_pair()
    for label, (size, rounds) in SIZES.items():
        message = os.urandom(size)

        async def secure_exchange(message: bytes = message) -> None:
            await channel.send(message)
            await channel.recv()

        async def plain_exchange(message: bytes = message) -> None:
            writer.write(len(message).to_bytes(4, "big") + message)
            await writer.drain()
            await reader.readexactly(1)

        secure = await timed(rounds, secure_exchange)
        plain = await timed(rounds, plain_exchange)
        print(
            f"{label}: encrypted {ms(secure)} vs plain {ms(plain)} "
            f"(+{ms(secure - plain)}, {100 * (secure - plain) / plain:+.0f}%); "
            f"wire {wire_bytes(size)} B vs {size + 4} B (+{wire_bytes(size) - size - 4} B); "
            f"median of {rounds} send+ack"
        )
    channel.close()
    writer.close()
    for done in HANDLERS_DONE:
        await done.wait()
    secure_server.close()
    plain_server.close()


if __name__ == "__main__":
    asyncio.run(main())
