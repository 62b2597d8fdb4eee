"""One peer's sync session as a state machine, sans-IO: messages and clock ticks in, effects out.

Both sides say HELLO with their heads and change count, then each brings the other up to date:
equal heads -> idle; holding all the peer's heads -> send what it lacks (a snapshot when it is
far behind, else the raw changes); lacking some of the peer's -> say LACK, and if the peer lacks
some of ours too (diverged) -> the changes since the heads both last synced at, or a snapshot
for a far-behind side, or else the Automerge sync loop. Live edits travel as raw changes with the
sender's heads, so a receiver notices a gap and asks for a fill (STATE). A keepalive PING carries
heads too: heads that stay different over a quiet interval are reconciled again, so nothing lost
on the way stays lost. The session applies what it receives through the document, which journals
it durably before returning; only then is it acknowledged.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

from automerge.core import SyncState

from magnet.crdt import CrdtError
from magnet.document import WrongGroup
from magnet.errors import MagnetError
from sync.protocol import (
    DEFAULT_MAX_MESSAGE,
    Ack,
    Changes,
    Close,
    CloseCode,
    Heads,
    Hello,
    IncompatibleVersion,
    Keys,
    Lack,
    Message,
    Ping,
    Pong,
    ProtocolError,
    Rotations,
    Snapshot,
    State,
    Sync,
    decode,
)

# A snapshot beats raw changes once a peer lacks more than 1/SNAPSHOT_RATIO of our changes:
# measured on a year-sized group, the raw changes are ~6x the size of the saved document.
SNAPSHOT_RATIO = 6
SNAPSHOT_MIN_MISSING = 64
BATCH_CHANGES = 2000
BATCH_BYTES = 1 << 20


class SyncDocument(Protocol):
    """What a session needs from the group document (GroupDocument provides it)."""

    @property
    def group_id(self) -> str: ...

    def heads(self) -> list[bytes]: ...

    def has_heads(self, heads: Sequence[bytes]) -> bool: ...

    def save(self) -> bytes: ...

    def changes_since(self, heads: Sequence[bytes]) -> list[bytes]: ...

    def change_count(self) -> int: ...

    def apply_changes(self, changes: Sequence[bytes]) -> tuple[bytes, ...]: ...

    def merge_saved(self, data: bytes) -> tuple[bytes, ...]: ...

    def generate_sync_message(self, state: SyncState) -> bytes | None: ...

    def receive_sync_message(self, state: SyncState, message: bytes) -> tuple[bytes, ...]: ...


# ---- effects ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Send:
    """Send this message to the peer, in order."""

    message: Message


@dataclass(frozen=True)
class Opened:
    """The peer said hello: who it is, what it has."""

    hello: Hello


@dataclass(frozen=True)
class Synced:
    """Both sides hold exactly `heads`, durably: remember them as the last synced state."""

    heads: Heads


@dataclass(frozen=True)
class Closed:
    """The session is over; close the connection after sending what came before."""

    code: CloseCode
    reason: str
    by_peer: bool


@dataclass(frozen=True)
class NewKeys:
    """The peer sent a bare group secret, the way an earlier magnet does (never taken: unsigned)."""

    epoch: int
    secret: bytes


@dataclass(frozen=True)
class NewRotations:
    """The peer sent the signed rotations it holds (check each before taking it)."""

    digest: bytes
    items: tuple[tuple[bytes, bytes, bytes], ...]


Effect = Send | Opened | Synced | Closed | NewKeys | NewRotations


@dataclass(frozen=True)
class Timing:
    keepalive: float = 5.0  # ping after this long without sending anything
    dead_after: float = 20.0  # give up after this long without hearing anything


class ChangeCounter:
    """The document's change count, recomputed only when its heads move (it costs ~15 ms on a
    year-sized group). One counter may serve every session of a node."""

    def __init__(self) -> None:
        self._heads: Heads | None = None
        self._count = 0

    def count(self, doc: SyncDocument, heads: Heads) -> int:
        if heads != self._heads:
            self._count = doc.change_count()
            self._heads = heads
        return self._count


def normal(heads: Sequence[bytes]) -> Heads:
    """Heads in one canonical order, so two equal sets compare equal."""
    return tuple(sorted(heads))


def far_behind(theirs: int, mine: int) -> bool:
    """Would a snapshot cost less than the changes a peer holding `theirs` of our `mine` lacks?"""
    missing = mine - theirs
    return theirs == 0 or (missing > SNAPSHOT_MIN_MISSING and missing * SNAPSHOT_RATIO > mine)


class Session:
    """The sync state with one peer over one connection. Not thread-safe: one driver calls it.

    `now` is any clock that never jumps (the node passes time.monotonic()).
    """

    def __init__(
        self,
        doc: SyncDocument,
        *,
        device_id: str,
        now: float,
        base: Sequence[bytes] = (),
        epoch: int = 0,
        keys: bytes | None = None,
        port: int = 0,
        expected_peer: str | None = None,
        timing: Timing | None = None,
        counter: ChangeCounter | None = None,
        max_message: int = DEFAULT_MAX_MESSAGE,
    ) -> None:
        self.doc = doc
        self.device_id = device_id
        self.base = normal(base)
        self.epoch = epoch
        self.keys = keys
        self.port = port
        self.expected_peer = expected_peer
        self.timing = timing or Timing()
        self.max_message = max_message
        self._counter = counter or ChangeCounter()
        self.state = "new"  # new -> waiting (hello sent) -> open -> closed
        self.peer: Hello | None = None
        self.peer_heads: Heads | None = None
        self.last_sync: float | None = None
        self.last_received = now
        self._now = now
        self._last_sent = now
        self._last_activity = now
        self._served: Heads | None = None
        self._asked: Heads | None = None
        self._lack_count: int | None = None
        self._sync_state: SyncState | None = None
        self._synced_heads: Heads | None = None
        self._told: Heads | None = None  # the heads we last told the peer we hold
        self._early: list[tuple[list[bytes], Heads]] = []  # pushes made before the peer's hello

    # ---- events ------------------------------------------------------------------------------

    def start(self, now: float) -> list[Effect]:
        """The connection is up: say hello."""
        self._now = now
        self.state = "waiting"
        heads = self._heads()
        hello = Hello(
            device_id=self.device_id,
            group_id=self.doc.group_id,
            heads=heads,
            count=self._count(heads),
            base=self.base,
            epoch=self.epoch,
            port=self.port,
            keys=self.keys,
        )
        return [self._send(hello)]

    def receive(self, data: bytes, now: float) -> list[Effect]:
        """One message from the peer."""
        if self.state == "closed":
            return []
        self._now = self.last_received = now
        try:
            message = decode(data, max_message=self.max_message)
        except IncompatibleVersion as exc:
            return self._fail(CloseCode.VERSION, str(exc), told=exc.for_peer)
        except ProtocolError as exc:
            return self._fail(CloseCode.MALFORMED, f"malformed message: {exc}")
        if not isinstance(message, Ping | Pong):
            self._last_activity = now
        try:
            return self._dispatch(message)
        except WrongGroup as exc:
            return self._fail(CloseCode.WRONG_GROUP, str(exc))
        except CrdtError as exc:
            return self._fail(CloseCode.MALFORMED, f"bad document data: {exc}")
        except MagnetError as exc:  # the disk refused the change: nothing is acknowledged
            return self._fail(CloseCode.FAILED, str(exc))

    def push(self, changes: Sequence[bytes], heads: Sequence[bytes], now: float) -> list[Effect]:
        """Changes made here (or merged from another peer) after the hello: send them at once.

        `heads` are the document's heads right after those changes.
        """
        if self.state == "waiting" and changes:
            self._early.append((list(changes), normal(heads)))
        if self.state != "open" or not changes:
            return []
        self._now = now
        return list(self._changes_messages(list(changes), normal(heads)))

    def send_keys(self, epoch: int, secret: bytes, now: float) -> list[Effect]:
        if self.state != "open":
            return []
        self._now = now
        return [self._send(Keys(epoch, secret))]

    def send_rotations(self, digest: bytes, items: Sequence[tuple[bytes, bytes, bytes]], now: float) -> list[Effect]:
        if self.state != "open":
            return []
        self._now = now
        return [self._send(Rotations(digest, tuple(items)))]

    def tick(self, now: float) -> list[Effect]:
        """Time passed: keep the connection alive, or give up on a silent peer."""
        if self.state == "closed":
            return []
        self._now = now
        if now - self.last_received >= self.timing.dead_after:
            silent = f"no answer for {now - self.last_received:.0f} s"
            return self._fail(CloseCode.SILENT, silent)
        if self.state == "open" and now - self._last_sent >= self.timing.keepalive:
            heads = self._heads()
            return [self._send(Ping(heads, self._count(heads)))]
        return []

    def close(
        self, code: CloseCode = CloseCode.GOODBYE, reason: str = "closing", now: float | None = None
    ) -> list[Effect]:
        """Hang up politely."""
        if self.state == "closed":
            return []
        if now is not None:
            self._now = now
        return self._fail(code, reason)

    @property
    def in_sync(self) -> bool:
        return self.peer_heads is not None and self.peer_heads == self._heads()

    # ---- messages ----------------------------------------------------------------------------

    def _dispatch(self, message: Message) -> list[Effect]:
        if isinstance(message, Close):
            self.state = "closed"
            return [Closed(message.code, message.text or message.code.name.lower(), by_peer=True)]
        if self.state != "open":
            if not isinstance(message, Hello):
                return self._fail(CloseCode.MALFORMED, f"expected HELLO first, got {type(message).__name__.upper()}")
            return self._on_hello(message)
        match message:
            case Hello():
                return self._fail(CloseCode.MALFORMED, "a second HELLO")
            case State():
                self.peer_heads = normal(message.heads)
                return self._reconcile(self.peer_heads, message.count)
            case Lack():
                return self._on_lack(message)
            case Changes():
                return self._on_changes(message)
            case Snapshot():
                return self._on_snapshot(message)
            case Sync():
                return self._on_sync(message)
            case Ack():
                self.peer_heads = normal(message.heads)
                return self._on_ack(self._heads())
            case Ping():
                return self._on_ping(message)
            case Pong():
                return []
            case Keys():
                return [NewKeys(message.epoch, message.secret)]
            case Rotations():
                return [NewRotations(message.digest, message.items)]

    def _on_hello(self, hello: Hello) -> list[Effect]:
        mine = self.doc.group_id
        if hello.group_id and mine and hello.group_id != mine:
            return self._fail(CloseCode.WRONG_GROUP, "the peer belongs to another group")
        if self.expected_peer is not None and hello.device_id != self.expected_peer:
            return self._fail(CloseCode.MALFORMED, "the hello names another device than the channel proved")
        self.peer = hello
        self.state = "open"
        self.peer_heads = normal(hello.heads)
        effects: list[Effect] = [Opened(hello), *self._reconcile(self.peer_heads, hello.count)]
        early, self._early = self._early, []
        if any(isinstance(e, Send) and isinstance(e.message, Lack) for e in effects):
            # The peer answers our hello's heads, so edits made since would never reach it.
            for changes, heads in early:
                effects += self._changes_messages(changes, heads)
        return effects

    def _reconcile(self, theirs: Heads, count: int) -> list[Effect]:
        """Bring the peer that holds `theirs` up to date, or tell it we lack some of its changes."""
        mine = self._heads()
        if theirs == mine:
            return self._if_equal(mine)
        if self.doc.has_heads(theirs):
            return self._catch_up(theirs, count)
        self._lack_count = self._count(mine)
        return [self._send(Lack(mine, self._lack_count))]

    def _on_lack(self, lack: Lack) -> list[Effect]:
        theirs = self.peer_heads = normal(lack.heads)
        if self.doc.has_heads(theirs):
            if theirs == self._served:
                return []  # what we sent on its hello already covers it
            return self._reconcile(theirs, lack.count)
        return self._diverged(theirs, lack.count)

    def _diverged(self, theirs: Heads, count: int) -> list[Effect]:
        """Each side lacks some of the other's changes: both run this with the same numbers."""
        base = self._agreed_base()
        if base is not None:
            return list(self._changes_messages(self.doc.changes_since(base), self._heads()))
        mine = self._lack_count if self._lack_count is not None else self._count(self._heads())
        if far_behind(count, mine):
            return [self._snapshot()]
        if far_behind(mine, count):
            return []  # the peer sends us its snapshot; we answer with what it lacks
        self._sync_state = SyncState()
        return self._sync_reply()

    def _agreed_base(self) -> Heads | None:
        """The heads both sides remember syncing at, when they agree and we still hold them."""
        if self.peer is None or not self.base or normal(self.peer.base) != self.base:
            return None
        return self.base if self.doc.has_heads(self.base) else None

    def _catch_up(self, theirs: Heads, count: int) -> list[Effect]:
        """The peer holds `theirs`, all of which we hold: send what it lacks."""
        self._served = theirs
        heads = self._heads()
        if far_behind(count, self._count(heads)):
            return [self._snapshot()]
        return list(self._changes_messages(self.doc.changes_since(theirs), heads))

    def _on_changes(self, message: Changes) -> list[Effect]:
        if message.changes:
            self.doc.apply_changes(message.changes)
        if message.heads is None:
            return []  # more of this batch follows
        theirs = self.peer_heads = normal(message.heads)
        mine = self._heads()
        if not self.doc.has_heads(theirs):
            return self._ask_for_fill(mine)
        return [self._send(Ack(mine)), *self._if_equal(mine)]

    def _on_ack(self, mine: Heads) -> list[Effect]:
        """The peer holds what we hold. If we never said so in words (the last steps of an
        Automerge sync round carry our heads only inside its own messages), say so now, or the
        peer shows itself behind until the next ping."""
        if self.peer_heads != mine or self._told == mine:
            return self._if_equal(mine)
        return [self._send(Ack(mine)), *self._if_equal(mine)]

    def _ask_for_fill(self, mine: Heads) -> list[Effect]:
        """Something the peer sent depends on changes that never reached us."""
        if self._asked == mine:
            return []  # asked already; the answer is on its way
        self._asked = mine
        return [self._send(State(mine, self._count(mine)))]

    def _on_snapshot(self, message: Snapshot) -> list[Effect]:
        self.doc.merge_saved(message.data)
        theirs = self.peer_heads = normal(message.heads)
        if not self.doc.has_heads(theirs):
            return self._fail(CloseCode.MALFORMED, "the snapshot lacks the heads it claims")
        mine = self._heads()
        if mine == theirs:
            return [self._send(Ack(mine)), *self._if_equal(mine)]
        # Our own changes the peer lacks; their heads tell it we applied the snapshot.
        return list(self._changes_messages(self.doc.changes_since(theirs), mine))

    def _on_sync(self, message: Sync) -> list[Effect]:
        if self._sync_state is None:
            self._sync_state = SyncState()
        self.doc.receive_sync_message(self._sync_state, message.data)
        return self._sync_reply()

    def _sync_reply(self) -> list[Effect]:
        assert self._sync_state is not None
        reply = self.doc.generate_sync_message(self._sync_state)
        if reply is not None:
            return [self._send(Sync(reply))]
        mine = self._heads()
        return [self._send(Ack(mine)), *self._if_equal(mine)]

    def _on_ping(self, ping: Ping) -> list[Effect]:
        out: list[Effect] = [self._send(Pong())]
        theirs = self.peer_heads = normal(ping.heads)
        mine = self._heads()
        if theirs == mine:
            return out + self._if_equal(mine)
        if self._now - self._last_activity >= self.timing.keepalive:
            # Different heads and nothing under way for a whole interval: something was lost.
            self._sync_state = None
            self._served = self._asked = None
            self._last_activity = self._now
            out += self._reconcile(theirs, ping.count)
        return out

    # ---- helpers -----------------------------------------------------------------------------

    def _if_equal(self, mine: Heads) -> list[Effect]:
        if self.peer_heads != mine or self._synced_heads == mine:
            return []
        self._synced_heads = mine
        self.last_sync = self._now
        self._sync_state = None
        self._served = self._asked = None
        self._lack_count = None
        self.base = mine
        return [Synced(mine)]

    def _changes_messages(self, changes: list[bytes], heads: Heads) -> Iterator[Effect]:
        """CHANGES messages of bounded size; the last carries `heads` and asks for an ACK."""
        if not changes:
            yield self._send(Ack(heads))
            return
        batch: list[bytes] = []
        size = 0
        for change in changes:
            if batch and (len(batch) >= BATCH_CHANGES or size + len(change) > BATCH_BYTES):
                yield self._send(Changes(tuple(batch)))
                batch, size = [], 0
            batch.append(change)
            size += len(change)
        yield self._send(Changes(tuple(batch), heads))

    def _snapshot(self) -> Effect:
        heads = self._heads()
        return self._send(Snapshot(self.doc.save(), heads))

    def _send(self, message: Message) -> Send:
        self._last_sent = self._now
        heads = getattr(message, "heads", None)
        if heads is not None:
            self._told = normal(heads)
        if not isinstance(message, Ping | Pong):
            self._last_activity = self._now
        return Send(message)

    def _fail(self, code: CloseCode, reason: str, *, told: str | None = None) -> list[Effect]:
        """Hang up for `reason`; the peer is `told` why in its own words (default: the reason)."""
        self.state = "closed"
        return [self._send(Close(code, told or reason)), Closed(code, reason, by_peer=False)]

    def _heads(self) -> Heads:
        return normal(self.doc.heads())

    def _count(self, heads: Heads) -> int:
        return self._counter.count(self.doc, heads)
