"""Listening sockets and their accept loop: each connection is judged before the next is taken.

asyncio's own server accepts up to its backlog in one go and hands the node connections only
later, so a flood could hold a hundred descriptors the node never agreed to, and asyncio logs a
traceback when accept() runs out of them. Here one connection is accepted at a time and either
handed on or closed at once, so the node holds no more sockets than it decided to.
"""

from __future__ import annotations

import asyncio
import errno
import socket
from collections.abc import Callable

OUT_OF_FDS = (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM)
BACKLOG = 64
PAUSE_WHEN_OUT = 0.2  # seconds to wait when the system has no descriptor for a new connection


def bind(hosts: list[str], port: int) -> tuple[list[socket.socket], int]:
    """Listening sockets on every host, all on one port (`port`, or one the system picks for the
    first host when it is 0); OSError when the first cannot be bound. Returns them and the port."""
    sockets: list[socket.socket] = []
    for host in hosts:
        try:
            family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
            listener = socket.create_server((host, port), family=family, backlog=BACKLOG)
        except OSError:
            if not sockets:
                raise
            continue  # a second address that vanished: the others still listen
        listener.setblocking(False)
        sockets.append(listener)
        port = listener.getsockname()[1]
    if not sockets:
        raise OSError(errno.EADDRNOTAVAIL, "no address to listen on")
    return sockets, port


async def accept_forever(
    listener: socket.socket,
    *,
    admit: Callable[[str], bool],
    serve: Callable[[socket.socket, str], None],
    out_of_fds: Callable[[OSError], None],
) -> None:
    """Accept connections until cancelled: `admit(host)` decides at once (a refused socket is
    closed before the next accept), `serve(sock, host)` takes an admitted one."""
    loop = asyncio.get_running_loop()
    while True:
        try:
            sock, peer = await loop.sock_accept(listener)
        except OSError as exc:
            if exc.errno in OUT_OF_FDS:
                out_of_fds(exc)
                await asyncio.sleep(PAUSE_WHEN_OUT)
                continue
            if listener.fileno() < 0:
                return  # closed: the node is stopping
            await asyncio.sleep(PAUSE_WHEN_OUT)  # ECONNABORTED and friends: the next one may do
            continue
        host = str(peer[0]) if isinstance(peer, tuple) else "unknown"
        if admit(host):
            serve(sock, host)
        else:
            sock.close()
