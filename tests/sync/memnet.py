"""An in-memory network of sync sessions: messages wait in queues until the test delivers them.

No timers and no sockets, so a test (or hypothesis) picks every interleaving. Peers relay what
they merge to their other sessions exactly as the node does: through the document's listener.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from magnet.document import DocChange, GroupDocument
from sync.protocol import Heads, Message, encode
from sync.session import ChangeCounter, Closed, Effect, Send, Session, Synced, Timing

TIMING = Timing(keepalive=5.0, dead_after=20.0)


@dataclass
class Peer:
    name: str
    doc: GroupDocument
    net: Network
    sessions: dict[str, Session] = field(default_factory=dict)
    memory: dict[str, Heads] = field(default_factory=dict)
    applying: Session | None = None
    counter: ChangeCounter = field(default_factory=ChangeCounter)

    def __post_init__(self) -> None:
        self.doc.add_listener(self._on_change)

    def _on_change(self, change: DocChange) -> None:
        heads = self.doc.heads()
        for other, session in list(self.sessions.items()):
            if session is not self.applying:
                self.net.handle(self, other, session.push(change.changes, heads, self.net.now))


@dataclass
class Link:
    a: Peer
    b: Peer
    queues: dict[str, deque[bytes]] = field(default_factory=dict)
    sent: dict[str, list[Message]] = field(default_factory=dict)
    bytes: dict[str, int] = field(default_factory=dict)
    closed: bool = False

    def __post_init__(self) -> None:
        for name in (self.a.name, self.b.name):
            self.queues[name] = deque()  # messages waiting to be delivered TO `name`
            self.sent[name] = []  # messages sent BY `name`
            self.bytes[name] = 0

    def other(self, peer: Peer) -> Peer:
        return self.b if peer is self.a else self.a

    @property
    def idle(self) -> bool:
        return self.closed or not any(self.queues.values())


class Network:
    def __init__(self, timing: Timing = TIMING) -> None:
        self.now = 1000.0
        self.timing = timing
        self.peers: dict[str, Peer] = {}
        self.links: list[Link] = []

    def add(self, name: str, doc: GroupDocument) -> Peer:
        peer = self.peers[name] = Peer(name, doc, self)
        return peer

    def link(self, a: str, b: str) -> Link:
        return next(lk for lk in self.links if {lk.a.name, lk.b.name} == {a, b})

    def connect(self, a: str, b: str) -> Link:
        """A new connection between two peers (replacing any earlier one)."""
        pa, pb = self.peers[a], self.peers[b]
        for old in [lk for lk in self.links if {lk.a.name, lk.b.name} == {a, b}]:
            self.disconnect(old)
        link = Link(pa, pb)
        self.links.append(link)
        for me, other in ((pa, pb), (pb, pa)):
            me.sessions[other.name] = Session(
                me.doc,
                device_id=me.doc.device_id,
                now=self.now,
                base=me.memory.get(other.name, ()),
                timing=self.timing,
                counter=me.counter,
            )
        for me, other in ((pa, pb), (pb, pa)):
            self.handle(me, other.name, me.sessions[other.name].start(self.now))
        return link

    def disconnect(self, link: Link) -> None:
        link.closed = True
        for me, other in ((link.a, link.b), (link.b, link.a)):
            if me.sessions.get(other.name) is not None:
                del me.sessions[other.name]
        self.links.remove(link)

    def handle(self, me: Peer, other: str, effects: list[Effect]) -> None:
        link = self.link(me.name, other)
        for effect in effects:
            if isinstance(effect, Send):
                data = encode(effect.message)
                link.sent[me.name].append(effect.message)
                link.bytes[me.name] += len(data)
                if not link.closed:
                    link.queues[other].append(data)
            elif isinstance(effect, Synced):
                me.memory[other] = effect.heads
            elif isinstance(effect, Closed):
                link.closed = True

    def deliver(self, link: Link, to: str) -> bool:
        """Deliver the next message waiting for `to` on `link`; False when there is none."""
        queue = link.queues[to]
        if link.closed or not queue:
            return False
        me = self.peers[to]
        sender = link.other(me).name
        session = me.sessions[sender]
        data = queue.popleft()
        me.applying = session
        try:
            effects = session.receive(data, self.now)
        finally:
            me.applying = None
        self.handle(me, sender, effects)
        return True

    def settle(self, limit: int = 10_000) -> int:
        """Deliver everything, round robin, until no message waits. Returns how many."""
        delivered = 0
        while any(not lk.idle for lk in self.links):
            for link in list(self.links):
                for name in (link.a.name, link.b.name):
                    if self.deliver(link, name):
                        delivered += 1
            if delivered > limit:
                raise AssertionError("the sessions never go quiet")
        return delivered

    def tick(self, seconds: float) -> None:
        self.now += seconds
        for peer in self.peers.values():
            for other, session in list(peer.sessions.items()):
                self.handle(peer, other, session.tick(self.now))

    def converged(self) -> bool:
        docs = [p.doc for p in self.peers.values()]
        first = sorted(docs[0].heads())
        return all(sorted(d.heads()) == first for d in docs[1:])
