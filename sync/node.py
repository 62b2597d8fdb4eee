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
import threading
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from magnet.document import DocChange
from sync.discovery import Discovery, Service
from sync.events import NodeConfig, NodeEvent, PeerStatus
from sync.interfaces import pinned, resolve
from sync.membership import Group, Membership
from sync.peerbook import PeerBook
from sync.protocol import VERSION, CloseCode, Heads, encode
from sync.ratelimit import RateLimit
from sync.runfile import RunNote
from sync.session import ChangeCounter, Closed, Effect, NewKeys, Opened, Send, Session, Synced, Timing
from sync.targets import Target, Targets
from sync.transport import Link, MessageChannel, TransportError, format_address, open_stream, parse_address

log = logging.getLogger("magnet.sync")

# A peer that falls this far behind on reading is dropped (it resyncs on reconnect).
MAX_QUEUED_BYTES = 128 * 1024 * 1024
REFUSED = (CloseCode.VERSION, CloseCode.WRONG_GROUP, CloseCode.NOT_ALLOWED, CloseCode.MALFORMED)
REFUSAL_EVENT_EVERY = 60.0  # one "rejected" event per address and reason this often, however busy


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
        self._refusals: dict[tuple[str, str], float] = {}
        self._servers: list[asyncio.Server] = []
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
        self._devices: tuple[tuple[str, bool, bool], ...] = ()

    # ---- life ----------------------------------------------------------------------------

    async def start(self) -> None:
        """Listen, advertise, dial known peers, and start relaying changes."""
        self._loop = asyncio.get_running_loop()
        self._thread = threading.get_ident()
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
        self._publish()

    async def _start_discovery(self, discovery: Discovery) -> None:
        """Browse and advertise; registering takes ~1.5 s of probing, so peers are dialed meanwhile."""
        try:
            await discovery.start()
            self._advertised = discovery.txt
        except Exception as exc:  # zeroconf fails in many ways on odd networks
            log.warning("mDNS discovery is off: %s", exc)
            self._emit("error", "", None, f"mDNS discovery is off: {exc}")
            self.discovery = None
            with contextlib.suppress(Exception):
                await discovery.stop()

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
        for server in self._servers:
            server.close()
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
        self.book.save()
        self._note.release()

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
            server = await asyncio.start_server(self._on_inbound, hosts, self.config.port)
        except OSError as exc:
            if self.config.port == 0:
                raise
            log.warning("port %d is busy (%s); listening on another", self.config.port, exc.strerror)
            self._emit("error", "", None, f"port {self.config.port} is busy; using another (peers find it by mDNS)")
            server = await asyncio.start_server(self._on_inbound, hosts, 0)
        self._servers.append(server)
        self.port = server.sockets[0].getsockname()[1]

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
        return len(self.connections) < self.config.max_connections

    async def _dial(self, target: Target) -> None:
        try:
            try:
                channel, address = await self._open(target)
            except TransportError as exc:
                if exc.retry_epoch is None:
                    raise
                target.epoch = exc.retry_epoch
                channel, address = await self._open(target)
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

    async def _open(self, target: Target) -> tuple[MessageChannel, str]:
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
                return await self.link.dial(reader, chosen, epoch=target.epoch), address
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

    async def _on_inbound(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        host = str(peer[0]) if isinstance(peer, tuple) else "unknown"
        if self._stopping:
            writer.close()
            return
        if len(self.connections) >= self.config.max_connections:
            writer.close()
            self._refused(host, f"too many connections (at most {self.config.max_connections})")
            return
        if not self._limit.allow(host, time.monotonic()):
            writer.close()
            self._refused(host, "too many connection attempts from this address")
            return
        try:
            channel = await self.link.answer(reader, writer)
        except TransportError as exc:
            self._emit("rejected" if exc.refused else "error", exc.peer or host, None, str(exc))
            return
        if not self._accepting():  # the node stopped during the handshake
            channel.close()
            return
        if self.membership.is_join(channel):
            try:
                detail = await self.membership.welcome(channel)
            except Exception as exc:
                log.warning("a join from %s failed: %s", channel.peer_address, exc)
                self._emit("rejected", channel.peer_address, channel.peer_device_id, f"join failed: {exc}")
            else:
                log.info("%s (from %s)", detail, channel.peer_address)
                self._emit("connected", channel.peer_address, channel.peer_device_id, detail)
            finally:
                channel.close()
            return
        await self._run(channel, dialed=False, target=None)

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
        newer = self.membership.newer_secret(hello.epoch)
        if newer is not None:
            self._process(conn, conn.session.send_keys(*newer, now=time.monotonic()))
            conn.peer_epoch = newer[0]
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

    def _new_keys(self, conn: Connection, keys: NewKeys) -> None:
        if not self.link.secure:
            log.warning("ignored group keys from %s: not an authenticated channel", conn.address)
            return
        if self.membership.adopt(keys.epoch, keys.secret):
            log.info("took the group's new key (epoch %d) from %s", keys.epoch, conn.address)
            self._advertise()

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
                self._emit("rejected", conn.address, device, conn.reason)
            elif not replaced:
                log.info("lost %s: %s", conn.address, conn.reason)
                self._emit("lost", conn.address, device, conn.reason or "closed")
        elif conn.code is CloseCode.DUPLICATE:
            log.debug("dropped a second connection with %s", conn.address)
        elif target is not None:
            self._failed(target, conn.reason or "closed", "rejected" if refused else "waiting")
        elif refused:
            self._emit("rejected", conn.address, device, conn.reason)
        else:
            log.debug("%s left before saying hello: %s", conn.address, conn.reason)
        self._publish()

    # ---- changes -------------------------------------------------------------------------

    def _on_doc_change(self, change: DocChange) -> None:
        """Any thread, right after a durable change: hand it to the loop with its heads."""
        try:
            heads = tuple(self.doc.heads())  # the committing thread holds the lock: exact heads
            source = self._applying if threading.get_ident() == self._thread else None
            if self._loop is not None and not self._stopping:
                self._loop.call_soon_threadsafe(self._relay, change, heads, source)
        except Exception:  # never break the commit that called us
            log.exception("could not hand a change to the sync node")

    def _relay(self, change: DocChange, heads: Heads, source: Connection | None) -> None:
        now = time.monotonic()
        for conn in list(self.connections):
            if conn is not source and not conn.closed:
                self._process(conn, conn.session.push(change.changes, heads, now))
        if change.collections is None or "devices" in change.collections:
            self._check_devices()

    def _check_devices(self) -> None:
        """Drop sessions with devices just revoked; retry at once peers refused before a device joined."""
        devices = tuple(
            sorted((d.device_id, d.revoked, d.archived) for d in self.doc.devices.all(include_archived=True))
        )
        if devices == self._devices:
            return
        self._devices = devices
        for device, conn in list(self.sessions.items()):
            if not self.membership.allows(device):
                log.warning("closing %s: its device was revoked", conn.address)
                self._process(conn, conn.session.close(CloseCode.NOT_ALLOWED, "this device was revoked"))
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
            if rounds % max(1, round(5.0 / interval)) == 0:
                self.group.save_read_model()  # so reading commands answer without replaying history
            if rounds % max(1, round(10.0 / interval)) == 0:
                self.book.save()  # only a memory of where peers were: every 10 s and at the end

    def _membership_round(self) -> None:
        if not self.membership.refresh():
            return
        self._advertise()
        self._check_devices()
        now = time.monotonic()
        for conn in list(self.sessions.values()):
            newer = self.membership.newer_secret(conn.peer_epoch)
            if newer is not None:
                self._process(conn, conn.session.send_keys(*newer, now=now))
                conn.peer_epoch = newer[0]

    def _txt(self) -> dict[str, str]:
        txt = {"v": str(VERSION), "t": self.membership.discovery_tag()}
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

    def _refused(self, host: str, reason: str) -> None:
        """Log and report a refusal, at most once a minute per address and reason."""
        now = time.monotonic()
        if now - self._refusals.get((host, reason), -REFUSAL_EVENT_EVERY) < REFUSAL_EVENT_EVERY:
            return
        if len(self._refusals) > 1024:
            self._refusals.clear()
        self._refusals[(host, reason)] = now
        self._emit("rejected", host, None, f"refused a connection: {reason}")

    def _emit(self, kind: str, peer: str, device_id: str | None, detail: str) -> None:
        event = NodeEvent(kind, peer, device_id, detail, time.time())
        if kind in ("rejected", "error"):
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
