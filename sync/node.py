"""The sync node: listens, finds and dials peers, runs one session per device, relays every change.

Runs on one asyncio loop (its own thread in the TUI, the main one in `magnet serve`). Every change
to the document, made here, merged from a peer or committed by another process on this data dir
(picked up by polling the store), is pushed at once to every live session but the one it came
from, so edits travel across several hops in real time. A peer that fails is dialed again with
backoff; one that goes silent is dropped by its session's keepalive.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import socket
import sys
import threading
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from magnet.document import DocChange
from sync.discovery import Discovery, Service
from sync.events import NodeConfig, NodeEvent, PeerStatus
from sync.interfaces import pinned, resolve
from sync.listening import OUT_OF_FDS, accept_forever, bind
from sync.membership import Group, Membership
from sync.peerbook import PeerBook
from sync.protocol import VERSION, Changes, CloseCode, Heads, Snapshot, Sync, encode
from sync.ratelimit import RateLimit
from sync.refusals import RefusalLog
from sync.runfile import RunNote
from sync.session import (
    ChangeCounter,
    Closed,
    Effect,
    NewKeys,
    NewRotations,
    Opened,
    Send,
    Session,
    Synced,
    Timing,
)
from sync.targets import Target, Targets
from sync.transport import Link, MessageChannel, TransportError, format_address, open_stream, parse_address

log = logging.getLogger("magnet.sync")

# A peer that falls this far behind on reading is dropped (it resyncs on reconnect).
MAX_QUEUED_BYTES = 128 * 1024 * 1024
REFUSED = (CloseCode.VERSION, CloseCode.WRONG_GROUP, CloseCode.NOT_ALLOWED, CloseCode.MALFORMED)
# File descriptors kept free for everything but connections: the store, mDNS sockets, logs.
FD_RESERVE = 32
# A connection still in the handshake after this long may give its place to a new one when the
# node is full: honest handshakes take milliseconds, a flood's linger until they time out.
STALE_HANDSHAKE = 1.0
# A failed mDNS start is tried again after this long, doubling up to the most.
DISCOVERY_RETRY_MIN = 2.0
DISCOVERY_RETRY_MAX = 60.0
MAX_DIAL_ATTEMPTS = 6  # epochs tried in turn when a peer holds another key for the newest
DOCUMENT_DATA = (Changes, Snapshot, Sync)
_DIGITS = re.compile(r"\d+")  # refusals that differ only in numbers are one kind


@dataclass(eq=False)
class Connection:
    channel: MessageChannel
    session: Session
    dialed: bool
    target: Target | None
    address: str
    device_id: str | None = None
    peer_epoch: int = 0
    opened: bool = False
    closed: bool = False
    reason: str = ""
    code: CloseCode | None = None
    queue: asyncio.Queue[bytes | None] = field(default_factory=asyncio.Queue)
    queued: int = 0
    last_sync: float | None = None  # wall-clock time of the last sync over this connection
    sent: int = 0
    received: int = 0
    peer_keys: bytes | None = None  # the digest of the rotations the peer last said it holds
    sent_keys: bytes | None = None  # the digest of the rotations last sent to it


@dataclass(eq=False)
class Handshaking:
    """An inbound connection still proving who it is."""

    host: str
    started: float
    close: Callable[[], None]


class Node:
    """One group's sync node. Create, `await start()`, later `await stop()`; all on one loop."""

    def __init__(
        self,
        group: Group,
        config: NodeConfig,
        *,
        link: Link,
        membership: Membership,
        device_id: str,
        on_event: Callable[[NodeEvent], None] | None = None,
    ) -> None:
        self.group = group
        self.doc = group.doc
        self.config = config
        self.link = link
        self.membership = membership
        self.device_id = device_id
        self.on_event = on_event
        self.port = 0
        self.book = PeerBook(group.path)
        self.timing = Timing(config.keepalive, config.dead_after)
        self.counter = ChangeCounter()
        self.targets = Targets(config.backoff_min, config.backoff_max)
        self.sessions: dict[str, Connection] = {}  # by the peer's device id, once it said hello
        self.connections: set[Connection] = set()
        self.addresses = resolve(pinned(config.interfaces))
        self.discovery: Discovery | None = None
        self._limit = RateLimit(config.connection_burst, config.connections_per_second)
        self._refusals = RefusalLog()
        self._handshakes: set[Handshaking] = set()
        self._cap = config.max_connections
        self._listeners: list[socket.socket] = []
        self._acceptors: list[asyncio.Task[None]] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._loops: list[asyncio.Task[None]] = []
        self._drained = asyncio.Event()  # set once stopping and every connection is gone
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread = 0
        self._applying: Connection | None = None
        self._unlisten: Callable[[], None] | None = None
        self._status: list[PeerStatus] = []
        self._status_lock = threading.Lock()
        self._stopping = False
        self._advertised: dict[str, str] = {}
        self._note = RunNote(group.path)
        self._devices: tuple[object, ...] = ()
        self._allowed: tuple[tuple[object, ...], dict[str, bool]] = ((), {})
        self._told_revoked = False
        self._handler_installed = False
        self._bell_transport: asyncio.BaseTransport | None = None
        self._poll_due = False

    # ---- life ----------------------------------------------------------------------------

    async def start(self) -> None:
        """Listen, advertise, dial known peers, and start relaying changes."""
        self._loop = asyncio.get_running_loop()
        self._thread = threading.get_ident()
        self._cap = connection_cap(self.config.max_connections)
        if self._loop.get_exception_handler() is None:
            self._loop.set_exception_handler(self._on_loop_error)
            self._handler_installed = True
        self._note.claim()
        try:
            await self._listen()
        except BaseException:
            self._note.release()
            raise
        self._note.announce(self.port)
        self._emit("listening", self._own_address(), None, f"listening on port {self.port}")
        for address in self.config.peers:
            self.add_peer(address, source="config")
        for device_id, address in self.book.addresses():
            self._add_target(address, "memory", device_id=device_id)
        self._unlisten = self.doc.add_listener(self._on_doc_change)
        if self.config.discovery:
            self.discovery = Discovery(
                self.addresses, self.port, self._txt(), on_found=self._on_service, on_gone=self._on_service_gone
            )
            self._spawn(self._start_discovery(self.discovery))
        self._loops = [asyncio.create_task(self._dial_loop()), asyncio.create_task(self._housekeeping())]
        await self._listen_for_commits()
        self._publish()

    async def _listen_for_commits(self) -> None:
        """Read the store the moment another process of this data dir commits (the app, the CLI)."""
        assert self._loop is not None
        node = self

        class Rung(asyncio.DatagramProtocol):
            def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
                node._commit_rung()

        try:
            bell = self.group.doorbell()
            self._bell_transport, _ = await self._loop.create_datagram_endpoint(Rung, sock=bell.socket)
        except OSError as exc:  # no loopback: the housekeeping poll still finds commits
            log.warning("cannot listen for other processes' commits: %s", exc)

    def _commit_rung(self) -> None:
        if self._poll_due:
            return
        self._poll_due = True  # a burst of rings is one read of the store

        def poll() -> None:
            self._poll_due = False
            try:
                self.group.poll()
            except Exception as exc:
                log.warning("cannot read changes other processes saved: %s", exc)

        assert self._loop is not None
        self._loop.call_soon(poll)

    async def _start_discovery(self, discovery: Discovery) -> None:
        """Browse and advertise; registering takes ~1.5 s of probing, so peers are dialed meanwhile.

        A start that fails (probing timed out on a busy machine, a network not up yet) is tried
        again, less and less often: a device nobody can find is one nobody can join.
        """
        delay = DISCOVERY_RETRY_MIN
        failed = False
        while not self._stopping:
            try:
                await discovery.start()
            except Exception as exc:  # zeroconf fails in many ways on odd networks
                reason = str(exc) or type(exc).__name__
                with contextlib.suppress(Exception):
                    await discovery.stop()  # whatever half started, so the next try starts clean
                discovery.rename()  # the name may be taken (NonUniqueNameException)
                if not failed:
                    log.warning("mDNS discovery is off for now (%s); trying again", reason)
                    self._emit("error", "", None, f"mDNS discovery is off for now: {reason}")
                failed = True
                await asyncio.sleep(delay)
                delay = min(delay * 2, DISCOVERY_RETRY_MAX)
                continue
            self._advertised = discovery.txt
            if failed:
                log.info("mDNS discovery is on")
            return

    async def stop(self) -> None:
        """Say goodbye to every peer and on mDNS, and remember what worked."""
        self._stopping = True
        if self._unlisten is not None:
            self._unlisten()
        for task in self._loops:
            task.cancel()
        for conn in list(self.connections):
            self._process(
                conn, conn.session.close(CloseCode.GOODBYE, "the peer is shutting down", now=time.monotonic())
            )
        for acceptor in self._acceptors:  # before their sockets close under them
            acceptor.cancel()
            with contextlib.suppress(BaseException):
                await acceptor
        for listener in self._listeners:
            listener.close()
        if self._bell_transport is not None:
            self._bell_transport.close()
        if self.discovery is not None:
            with contextlib.suppress(Exception):
                await self.discovery.stop()
        if self.connections:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._drained.wait(), 2.0)
        for conn in list(self.connections):
            conn.channel.close()
        for task in [*self._loops, *self._tasks]:
            task.cancel()
            with contextlib.suppress(BaseException):
                await task
        for line in self._refusals.flush(float("inf")):
            log.warning("%s", line)
        self.book.save()
        self._note.release()
        if self._handler_installed and self._loop is not None:
            self._loop.set_exception_handler(None)

    def add_peer(self, address: str, *, source: str = "manual") -> None:
        """Dial `address` (host or host:port) now and whenever the connection drops."""
        try:
            host, port = parse_address(address, self.config.port)
        except ValueError as exc:
            self._emit("error", address, None, str(exc))
            return
        target = self._add_target(format_address(host, port), source)
        target.source = source  # given by a person: kept even when mDNS stops seeing it
        target.next_try = 0.0
        target.failures = 0
        target.itself = False

    @property
    def advertising(self) -> bool:
        """True once mDNS registration (about 1.5 s of probing) is done."""
        return bool(self._advertised)

    def peers(self) -> list[PeerStatus]:
        """A snapshot of every peer; safe to call from any thread."""
        with self._status_lock:
            return list(self._status)

    # ---- listening and dialing -----------------------------------------------------------

    async def _listen(self) -> None:
        hosts = self.addresses or ["0.0.0.0"]  # noqa: S104 - every interface is the default by design
        try:
            self._listeners, self.port = bind(hosts, self.config.port)
        except OSError as exc:
            if self.config.port == 0:
                raise
            log.warning("port %d is busy (%s); listening on another", self.config.port, exc.strerror)
            self._emit("error", "", None, f"port {self.config.port} is busy; using another (peers find it by mDNS)")
            self._listeners, self.port = bind(hosts, 0)
        self._acceptors = [
            asyncio.create_task(
                accept_forever(listener, admit=self._admit, serve=self._take_inbound, out_of_fds=self._out_of_fds)
            )
            for listener in self._listeners
        ]

    def _add_target(self, address: str, source: str, *, device_id: str | None = None) -> Target:
        target, new = self.targets.add(address, source, device_id=device_id)
        if new:
            if source != "memory":
                self._emit("found", address, device_id, f"peer at {address} ({source})")
            self._publish()
        return target

    async def _dial_loop(self) -> None:
        while True:
            now = time.monotonic()
            for target in self.targets:
                if self._should_dial(target, now):
                    target.dialing = True
                    target.state = "connecting"
                    self._spawn(self._dial(target))
            await asyncio.sleep(0.1)

    def _should_dial(self, target: Target, now: float) -> bool:
        if target.dialing or target.itself or now < target.next_try:
            return False
        if target.device_id is not None and target.device_id in self.sessions:
            return False
        return self._load() < self._cap

    def _load(self) -> int:
        """Sockets the node holds or is about to: sessions, handshakes and dials under way."""
        dialing = sum(len(t.addresses) for t in self.targets if t.dialing)
        return len(self.connections) + len(self._handshakes) + dialing

    async def _dial(self, target: Target) -> None:
        try:
            epoch = target.epoch
            for attempt in range(MAX_DIAL_ATTEMPTS):
                try:
                    channel, address = await self._open(target, epoch)
                    break
                except TransportError as exc:
                    # The peer lacks our epoch, or holds another key for it (a rotation made
                    # apart): an older epoch both hold lets us meet and merge rotations.
                    if exc.retry_epoch is None or attempt == MAX_DIAL_ATTEMPTS - 1:
                        raise
                    log.debug("%s: %s; trying epoch %d", target.key, exc, exc.retry_epoch)
                    epoch = exc.retry_epoch
        except TransportError as exc:
            target.itself = exc.itself
            if target.itself:
                log.debug("%s is this device itself; not dialing it again", target.key)
            else:
                self._failed(target, str(exc), "rejected" if exc.refused else "waiting")
            return
        finally:
            target.dialing = False
            self._publish()
        await self._run(channel, dialed=True, target=target, address=address)

    async def _open(self, target: Target, epoch: int | None) -> tuple[MessageChannel, str]:
        """A channel over the first of the target's addresses to answer.

        All are tried at once: a laptop advertises every address it has (a docker bridge, a
        second Wi-Fi), and waiting for each unreachable one in turn would take seconds.
        """

        async def connect(address: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter, str]:
            host, port = parse_address(address, self.config.port)
            reader, writer = await open_stream(host, port)
            return reader, writer, address

        attempts = [asyncio.create_task(connect(a)) for a in target.addresses]
        last: TransportError = TransportError("no address to dial", target.key)
        chosen: asyncio.StreamWriter | None = None
        try:
            for finished in asyncio.as_completed(attempts):
                try:
                    reader, chosen, address = await finished
                except TransportError as exc:
                    last = exc
                    continue
                return await self.link.dial(reader, chosen, epoch=epoch), address
            raise last
        finally:
            for attempt in attempts:
                if not attempt.done():
                    attempt.cancel()
                elif not attempt.cancelled() and attempt.exception() is None and attempt.result()[1] is not chosen:
                    attempt.result()[1].close()  # a second address that answered too

    def _failed(self, target: Target, error: str, state: str) -> None:
        new, delay = self.targets.failed(target, error, state, time.monotonic())
        if new:
            self._emit("rejected" if state == "rejected" else "error", target.key, target.device_id, error)
        else:
            log.debug("%s still failing (%s); next try in %.1f s", target.key, error, delay)

    def _admit(self, host: str) -> bool:
        """Whether to take a connection just accepted from `host`, decided before the next one:
        the rate per address, handshakes per address, and the cap on sockets held in all."""
        now = time.monotonic()
        if self._stopping:
            return False
        if not self._limit.allow(host, now):
            self._refused(host, "rate", "too many connection attempts from this address")
            return False
        if sum(1 for h in self._handshakes if h.host == host) >= self.config.handshakes_per_address:
            self._refused(host, "handshakes", "too many handshakes at once from this address")
            return False
        if self._load() >= self._cap and not self._evict_stale_handshake(now):
            self._refused(host, "full", f"too many connections (at most {self._cap})")
            return False
        return True

    def _take_inbound(self, sock: socket.socket, host: str) -> None:
        shaking = Handshaking(host, time.monotonic(), sock.close)
        self._handshakes.add(shaking)  # counted from now on, before the next accept
        self._spawn(self._on_inbound(sock, shaking))

    def _out_of_fds(self, exc: OSError) -> None:
        self._refused("*", "resources", f"the system refused a connection: {exc.strerror or exc}", error=True)

    async def _on_inbound(self, sock: socket.socket, shaking: Handshaking) -> None:
        host = shaking.host
        try:
            reader, writer = await asyncio.open_connection(sock=sock)
            shaking.close = writer.close
            channel = await self.link.answer(reader, writer)
        except TransportError as exc:
            cause = type(exc.__cause__ or exc).__name__
            self._refused(host, f"handshake {cause}", str(exc), error=not exc.refused)
            return
        except OSError as exc:
            sock.close()
            log.debug("a connection from %s failed at once: %s", host, exc)
            return
        except Exception as exc:  # a bug must cost this connection only, and say so once
            sock.close()
            self._refused(host, "internal", f"could not answer: {type(exc).__name__}: {exc}", error=True)
            return
        finally:
            self._handshakes.discard(shaking)
        if not self._accepting():  # the node stopped during the handshake
            channel.close()
            return
        if self.membership.is_join(channel):
            try:
                detail = await self.membership.welcome(channel)
            except Exception as exc:
                self._refused(host, "join", f"a join failed: {exc}", device_id=channel.peer_device_id)
            else:
                log.info("%s (from %s)", detail, channel.peer_address)
                self._emit("connected", channel.peer_address, channel.peer_device_id, detail)
            finally:
                channel.close()
            return
        await self._run(channel, dialed=False, target=None)

    def _evict_stale_handshake(self, now: float) -> bool:
        """Full: close the oldest handshake if it has lingered, so a flood of half-open connections
        cannot keep an honest device out. True when a place was freed."""
        oldest = min(self._handshakes, key=lambda h: h.started, default=None)
        if oldest is None or now - oldest.started < STALE_HANDSHAKE:
            return False
        self._handshakes.discard(oldest)
        oldest.close()  # its handshake fails at once and releases the rest
        self._refused(oldest.host, "evicted", "a handshake that lingered gave its place to a new connection")
        return True

    # ---- one connection ------------------------------------------------------------------

    async def _run(
        self, channel: MessageChannel, *, dialed: bool, target: Target | None, address: str | None = None
    ) -> None:
        now = time.monotonic()  # sessions keep time by the monotonic clock: a Pi's clock may jump
        known = channel.peer_device_id
        session = Session(
            self.doc,
            device_id=self.device_id,
            now=now,
            base=self.book.base(known),
            epoch=self.membership.epoch(),
            keys=self.membership.key_digest(),
            port=self.port,
            expected_peer=known,
            timing=self.timing,
            counter=self.counter,
        )
        conn = Connection(channel, session, dialed, target, address or channel.peer_address, device_id=known)
        self.connections.add(conn)
        writer = asyncio.create_task(self._write(conn))
        try:
            self._process(conn, session.start(now))
            while not conn.closed:
                data = await channel.recv()
                conn.received += len(data)
                self._applying = conn
                try:
                    effects = session.receive(data, time.monotonic())
                finally:
                    self._applying = None
                self._process(conn, effects)
        except TransportError as exc:
            conn.reason = conn.reason or str(exc)
        except asyncio.CancelledError:
            conn.reason = conn.reason or "stopped"
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:  # a bug (or a panic in the Automerge binding) costs one connection
            log.exception("sync with %s failed", conn.address)
            conn.reason = conn.reason or f"internal error: {exc}"
        finally:
            conn.closed = True
            conn.queue.put_nowait(None)
            with contextlib.suppress(TimeoutError, Exception):
                async with asyncio.timeout(2.0):
                    await asyncio.shield(writer)
            writer.cancel()
            channel.close()
            self._finish(conn)

    async def _write(self, conn: Connection) -> None:
        """Send queued messages in order; None ends the connection after what came before."""
        try:
            while True:
                data = await conn.queue.get()
                if data is None:
                    if conn.closed:
                        conn.channel.close()  # flushes what was written, then hangs up
                    return
                conn.queued -= len(data)
                await conn.channel.send(data)
                conn.sent += len(data)
        except Exception as exc:
            conn.reason = conn.reason or f"send failed: {exc}"
            conn.closed = True
            conn.channel.close()

    def _process(self, conn: Connection, effects: list[Effect]) -> None:
        for effect in effects:
            if isinstance(effect, Send):
                if (
                    isinstance(effect.message, DOCUMENT_DATA)
                    and conn.device_id is not None
                    and not self._allowed_now(conn.device_id)
                ):
                    # Revoked since the session opened: not one more byte of the document.
                    self._process(conn, conn.session.close(CloseCode.NOT_ALLOWED, "this device was revoked"))
                    return
                data = encode(effect.message)
                conn.queued += len(data)
                conn.queue.put_nowait(data)
                if conn.queued > MAX_QUEUED_BYTES:
                    conn.reason = "the peer reads too slowly"
                    conn.closed = True
                    conn.channel.close()
            elif isinstance(effect, Opened):
                self._opened(conn, effect)
            elif isinstance(effect, Synced):
                self._synced(conn, effect.heads)
            elif isinstance(effect, Closed):
                conn.closed = True
                conn.code = effect.code
                conn.reason = conn.reason or (f"the peer said: {effect.reason}" if effect.by_peer else effect.reason)
                conn.queue.put_nowait(None)
            elif isinstance(effect, NewKeys):
                self._new_keys(conn, effect)
            elif isinstance(effect, NewRotations):
                self._new_rotations(conn, effect)

    def _opened(self, conn: Connection, opened: Opened) -> None:
        hello = opened.hello
        device = hello.device_id
        if device == self.device_id:
            if conn.target is not None:
                conn.target.itself = True
            self._process(conn, conn.session.close(CloseCode.DUPLICATE, "that is this device itself"))
            return
        if not self.membership.allows(device):
            self._process(conn, conn.session.close(CloseCode.NOT_ALLOWED, "not an active device of this group"))
            return
        if conn.target is not None:
            self.targets.worked(conn.target, device)
        existing = self.sessions.get(device)
        replacing = existing is not None and existing is not conn and not existing.closed
        if existing is not None and replacing:
            if self._keeps(existing, conn, device):
                self._process(conn, conn.session.close(CloseCode.DUPLICATE, "already connected"))
                return
            self._process(existing, existing.session.close(CloseCode.DUPLICATE, "replaced by a newer connection"))
        conn.device_id = device
        conn.opened = True
        conn.peer_epoch = hello.epoch
        self.sessions[device] = conn
        listen_address = conn.address if conn.dialed else self._listen_address(conn, hello.port)
        if listen_address:
            conn.address = listen_address
            self.targets.worked(self._add_target(listen_address, "memory", device_id=device), device)
        name = self.membership.device_name(device)
        self.book.seen(device, address=listen_address, name=name)
        if replacing:
            log.debug("now connected to %s through %s", name or device[:8], conn.address)
        else:
            log.info("connected to %s (%s)", conn.address, name or device[:8])
            self._emit("connected", conn.address, device, f"connected to {name or device[:8]}")
        conn.peer_keys = hello.keys
        self._offer_keys(conn, time.monotonic())
        self._publish()

    def _keeps(self, existing: Connection, new: Connection, device: str) -> bool:
        """Both devices keep the same one of two connections between them.

        Two dials the same way: the newer wins (the dialer lost the old one). Crossed dials: the
        one dialed by the smaller device id wins, on both sides.
        """
        if existing.dialed == new.dialed:
            return False
        smaller_dials_existing = (self.device_id if existing.dialed else device) == min(self.device_id, device)
        return smaller_dials_existing

    def _listen_address(self, conn: Connection, port: int) -> str | None:
        if not port:
            return None
        host, _, _ = conn.channel.peer_address.rpartition(":")
        return format_address(host.strip("[]"), port) if host else None

    def _synced(self, conn: Connection, heads: Heads) -> None:
        if conn.device_id is None:
            return
        conn.last_sync = time.time()
        self.book.synced(conn.device_id, heads, conn.last_sync)
        log.debug("in sync with %s", conn.address)
        self._emit("synced", conn.address, conn.device_id, "in sync")
        self._publish()

    def _offer_keys(self, conn: Connection, now: float) -> None:
        """Tell a peer the rotations it may lack (each set is sent once), or, to a peer running an
        earlier magnet that cannot read rotations, the current key if it is behind."""
        if not conn.opened or conn.closed:
            return
        if conn.peer_keys is None:
            newer = self.membership.newer_secret(conn.peer_epoch)
            if newer is not None:
                self._process(conn, conn.session.send_keys(*newer, now=now))
                conn.peer_epoch = newer[0]
            return
        mine = self.membership.key_digest()
        if mine is None or mine in (conn.peer_keys, conn.sent_keys):
            return
        conn.sent_keys = mine
        self._process(conn, conn.session.send_rotations(mine, self.membership.rotations(), now))

    def _new_keys(self, conn: Connection, keys: NewKeys) -> None:
        """A bare secret, as an earlier magnet sends after its own rotation: unsigned, so refused."""
        self._refused(
            _host(conn.address),
            "unsigned keys",
            f"ignored an unsigned group key (epoch {keys.epoch}) from {conn.address}: "
            "only signed rotations move this device to a new epoch",
            device_id=conn.device_id,
        )

    def _new_rotations(self, conn: Connection, rotations: NewRotations) -> None:
        conn.peer_keys = rotations.digest
        if not self.link.secure or conn.device_id is None:
            log.warning("ignored group keys from %s: not an authenticated channel", conn.address)
            return
        taken = self.membership.take_rotations(list(rotations.items), conn.device_id)
        if taken.sender_revoked:
            self._refused(
                _host(conn.address),
                "revoked keys",
                f"took nothing from {conn.address}: its own rotations revoke it",
                device_id=conn.device_id,
            )
            self._process(conn, conn.session.close(CloseCode.NOT_ALLOWED, "this device was revoked"))
            return
        for reason in taken.refused[:3]:
            self._refused(_host(conn.address), "bad rotation", f"a rotation from {conn.address} was refused: {reason}")
        for rotation in taken.pending:
            log.info(
                "holding a rotation to epoch %d from %s until the document shows its author may rotate",
                rotation.epoch,
                conn.address,
            )
        if taken.changed:
            for rotation in taken.accepted:
                log.info(
                    "took the rotation to epoch %d by %s from %s%s",
                    rotation.epoch,
                    self.membership.device_name(rotation.author) or rotation.author[:8],
                    conn.address,
                    f", revoking {len(rotation.revokes)} device(s)" if rotation.revokes else "",
                )
            self._keys_changed()
        else:
            self._offer_keys(conn, time.monotonic())  # it may lack some of ours

    def _keys_changed(self) -> None:
        """New rotations count: shut out whom they revoke first, then tell everyone else."""
        self._check_devices()
        self._advertise()
        now = time.monotonic()
        for conn in list(self.sessions.values()):
            self._offer_keys(conn, now)

    def _finish(self, conn: Connection) -> None:
        self.connections.discard(conn)
        device = conn.device_id
        if device is not None and self.sessions.get(device) is conn:
            del self.sessions[device]
        replaced = conn.code is CloseCode.DUPLICATE or (device is not None and device in self.sessions)
        refused = conn.code in REFUSED
        target = conn.target
        if target is not None:
            target.dialing = False
        if self._stopping:
            if not self.connections:
                self._drained.set()
            return
        if conn.opened:
            if target is not None:
                self.targets.lost(target, time.monotonic())
            if refused:
                self._refused(_host(conn.address), "closed", conn.reason, device_id=device)
            elif not replaced:
                log.info("lost %s: %s", conn.address, conn.reason)
                self._emit("lost", conn.address, device, conn.reason or "closed")
        elif conn.code is CloseCode.DUPLICATE:
            log.debug("dropped a second connection with %s", conn.address)
        elif target is not None:
            self._failed(target, conn.reason or "closed", "rejected" if refused else "waiting")
        elif refused:
            self._refused(_host(conn.address), "closed", conn.reason, device_id=device)
        else:
            log.debug("%s left before saying hello: %s", conn.address, conn.reason)
        self._publish()

    # ---- changes -------------------------------------------------------------------------

    def _on_doc_change(self, change: DocChange) -> None:
        """Any thread, right after a durable change: hand it to the loop with its heads.

        A change applied on the loop (merged from a peer, or polled from the store) may revoke a
        device: its sessions are closed here, before this returns, so nothing that came with the
        revocation, nor anything after it, is ever queued for them.
        """
        try:
            heads = tuple(self.doc.heads())  # the committing thread holds the lock: exact heads
            on_loop = threading.get_ident() == self._thread
            source = self._applying if on_loop else None
            if on_loop and not self._stopping and _may_change_membership(change):
                self._check_devices()
                if self.membership.recheck():
                    self._keys_changed()
            if self._loop is not None and not self._stopping:
                self._loop.call_soon_threadsafe(self._relay, change, heads, source)
        except Exception:  # never break the commit that called us
            log.exception("could not hand a change to the sync node")

    def _relay(self, change: DocChange, heads: Heads, source: Connection | None) -> None:
        if _may_change_membership(change):  # revocations first: a revoked device gets nothing more
            self._check_devices()
            if self.membership.recheck():
                self._keys_changed()
        now = time.monotonic()
        for conn in list(self.connections):
            if conn is not source and not conn.closed:
                self._process(conn, conn.session.push(change.changes, heads, now))

    def _membership_state(self) -> tuple[object, ...]:
        devices = tuple(
            sorted((d.device_id, d.revoked, d.archived) for d in self.doc.devices.all(include_archived=True))
        )
        return devices, self.membership.key_digest()

    def _allowed_now(self, device: str) -> bool:
        """Whether `device` may still be sent the document, as of this very moment."""
        state = (tuple(self.doc.heads()), self.membership.key_digest())
        if state != self._allowed[0]:
            self._allowed = (state, {})
        known = self._allowed[1]
        if device not in known:
            known[device] = self.membership.allows(device)
        return known[device]

    def _check_devices(self) -> None:
        """Drop sessions with devices just revoked; retry at once peers refused before a device joined."""
        state = self._membership_state()
        if state == self._devices:
            return
        self._devices = state
        for device, conn in list(self.sessions.items()):
            if not conn.closed and not self.membership.allows(device):
                log.warning("closing %s: its device was revoked", conn.address)
                self._process(conn, conn.session.close(CloseCode.NOT_ALLOWED, "this device was revoked"))
        if self.device_id in self.membership.revoked() and not self._told_revoked:
            self._told_revoked = True
            log.warning("this device was revoked by a rotation of the group key: the group refuses it now")
        self.targets.retry_refused(time.monotonic())

    # ---- housekeeping --------------------------------------------------------------------

    async def _housekeeping(self) -> None:
        rounds = 0
        interval = self.config.poll_interval
        while True:
            await asyncio.sleep(interval)
            rounds += 1
            try:
                # Under the document's lock: another thread of this process (the app's poller,
                # a commit) may be using the same store, whose read position must not move.
                self.group.poll()
            except Exception as exc:
                log.warning("cannot read changes other processes saved: %s", exc)
            now = time.monotonic()
            for conn in list(self.connections):
                self._process(conn, conn.session.tick(now))
            if rounds % max(1, round(1.0 / interval)) == 0:
                # Remote changes nobody has read yet are looked at once a second, so a collision
                # they brought is healed (and the fold relayed) even on a headless peer.
                self.group.doc.review()
                self._membership_round()
                self._publish()
                for line in self._refusals.flush(now):
                    log.warning("%s", line)
            if rounds % max(1, round(5.0 / interval)) == 0:
                self.group.save_read_model()  # so reading commands answer without replaying history
            if rounds % max(1, round(10.0 / interval)) == 0:
                self.book.save()  # only a memory of where peers were: every 10 s and at the end

    def _membership_round(self) -> None:
        """Keys or invites another process changed (a revocation made with the CLI): apply them."""
        if self.membership.refresh():
            self._keys_changed()

    def _txt(self) -> dict[str, str]:
        txt = {"v": str(VERSION), "t": self.membership.discovery_tag()}
        previous = self.membership.previous_discovery_tag()
        if previous:
            txt["u"] = previous  # a peer that rotated apart from us still knows this epoch
        hints = self.membership.invite_hints()
        if hints:
            txt["i"] = ",".join(hints[:16])
        return txt

    def _advertise(self) -> None:
        txt = self._txt()
        if self.discovery is not None and txt != self._advertised:
            self._advertised = txt
            self._spawn(self.discovery.update(txt))

    def _on_service(self, service: Service) -> None:
        if service.properties.get("v") != str(VERSION):
            log.debug("ignoring %s: another protocol version", service.name)
            return
        epoch = self.membership.epoch_for_tag(service.properties.get("t", ""))
        if epoch is None:
            epoch = self.membership.epoch_for_tag(service.properties.get("u", ""))
        if epoch is None or not service.addresses:
            return  # another group's device
        addresses = [format_address(a, service.port) for a in service.addresses]
        _, new = self.targets.advertised(service.name, addresses, epoch, time.monotonic())
        if new:
            log.info("found a peer by mDNS at %s", ", ".join(addresses))
            self._emit("found", addresses[0], None, "found by mDNS")
        self._publish()

    def _on_service_gone(self, name: str) -> None:
        for target in self.targets.withdrawn(name):
            if target.device_id is None or target.device_id not in self.sessions:
                self._emit("lost", target.key, target.device_id, "left the network")
        self._publish()

    # ---- status --------------------------------------------------------------------------

    def _publish(self) -> None:
        statuses: list[PeerStatus] = []
        shown: set[str] = set()
        for device, conn in self.sessions.items():
            shown.add(device)
            known = self.book.get(device)
            statuses.append(
                PeerStatus(
                    address=conn.address,
                    device_id=device,
                    name=self.membership.device_name(device) or (known.name if known else ""),
                    state="synced" if conn.session.in_sync else "syncing",
                    last_sync=conn.last_sync or (known.last_sync if known else None),
                    error=None,
                )
            )
        for target in self.targets:
            if target.itself or (target.device_id is not None and target.device_id in shown):
                continue
            if target.device_id is not None:
                shown.add(target.device_id)
            known = self.book.get(target.device_id) if target.device_id else None
            statuses.append(
                PeerStatus(
                    address=target.addresses[0] if target.addresses else target.key,
                    device_id=target.device_id,
                    name=(self.membership.device_name(target.device_id) if target.device_id else "")
                    or (known.name if known else ""),
                    state=target.state,
                    last_sync=known.last_sync if known else None,
                    error=target.error,
                )
            )
        with self._status_lock:
            self._status = statuses

    def _accepting(self) -> bool:
        return not self._stopping

    def _refused(self, host: str, kind: str, detail: str, *, device_id: str | None = None, error: bool = False) -> None:
        """Log and report a refusal: at most once a minute per address and kind, with a count of
        the rest (sync/refusals.py), so a flood cannot flood the log or the Peers screen."""
        line = self._refusals.note(host, f"{kind}: {_DIGITS.sub('#', detail)}", detail, time.monotonic())
        if line is None:
            return
        log.warning("%s", line)
        self._emit("error" if error else "rejected", host, device_id, detail, logged=True)

    def _on_loop_error(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        """Out of descriptors in asyncio's accept loop (the node refuses long before, but other
        processes share the limit): one throttled line, never a traceback per connection."""
        exc = context.get("exception")
        if isinstance(exc, OSError) and exc.errno in OUT_OF_FDS:
            self._refused("*", "resources", f"the system refused a connection: {exc.strerror or exc}", error=True)
            return
        loop.default_exception_handler(context)

    def _emit(self, kind: str, peer: str, device_id: str | None, detail: str, *, logged: bool = False) -> None:
        event = NodeEvent(kind, peer, device_id, detail, time.time())
        if kind in ("rejected", "error") and not logged:
            log.warning("%s %s: %s", kind, peer, detail)
        if self.on_event is not None:
            try:
                self.on_event(event)
            except Exception:
                log.exception("the node's event callback failed")

    def _own_address(self) -> str:
        host = self.addresses[0] if self.addresses else "0.0.0.0"  # noqa: S104
        return format_address(host, self.port)

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


def _host(address: str) -> str:
    """The host part of host:port (or [v6]:port), so refusals are counted per address."""
    host, sep, port = address.rpartition(":")
    return host.strip("[]") if sep and port.isdigit() else address


def _may_change_membership(change: DocChange) -> bool:
    return change.collections is None or bool({"devices", "members"} & change.collections)


def connection_cap(wanted: int) -> int:
    """At most `wanted` connections, and fewer if the process's file-descriptor limit is near:
    the node refuses politely rather than run out (EMFILE) in the middle of accepting."""
    if sys.platform != "win32":  # Windows has no such limit on sockets
        import resource

        soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft != resource.RLIM_INFINITY:
            try:
                open_now = len(os.listdir("/proc/self/fd"))
            except OSError:
                open_now = 64  # a fair guess where /proc is missing (macOS)
            return max(1, min(wanted, soft - open_now - FD_RESERVE))
    return wanted
