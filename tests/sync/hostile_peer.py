"""A revoked device that tries to poison a stale one, run by the netns tests inside its own host.

    python hostile_peer.py HOME HOST:PORT

It connects to the peer as itself, with the group key it kept, and offers a bare new key (as an
earlier magnet would), then a rotation it signed itself that revokes everyone else. Prints what
the peer let it do.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from magnet.groupkey import KeyRing
from magnet.home import Home
from sync.channel import connect
from sync.protocol import Hello, Keys, Rotations, encode


async def poison(home: Path, peer: str) -> None:
    group = Home(home).open_group()
    try:
        ring = KeyRing.load(group.path)
        host, port = peer.rsplit(":", 1)
        reader, writer = await asyncio.open_connection(host, int(port))
        me = group.home.device
        channel = await connect(reader, writer, identity=me, secret=ring.current, authorize=lambda _key: True)
        heads = tuple(group.doc.heads())
        await channel.send(encode(Hello(me.device_id, group.doc.group_id, heads, 1, keys=b"\x00" * 16)))
        await channel.send(encode(Keys(7, os.urandom(32))))
        others = [d.device_id for d in group.doc.devices.all() if d.device_id != me.device_id]
        ring.rotate(me, group_id=group.doc.group_id, revokes=others)  # kept in memory only
        await channel.send(encode(Rotations(ring.digest, tuple(ring.offer()))))
        await asyncio.sleep(1.0)
        print("offered a bare key and a self-signed rotation", flush=True)
        channel.close()
    finally:
        group.close()


if __name__ == "__main__":
    asyncio.run(poison(Path(sys.argv[1]), sys.argv[2]))
