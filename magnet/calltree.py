"""The call tree: who phones whom to pass a message through the group when chat and internet are down.

Generated from the roster and stored as `CallTreeLink` records so people can adjust it by hand.
The rules: only members who agreed to share contact details are in it (the tree hands out their
numbers), never archived members or those who left; each caller has a few people to ring
(`FANOUT`); the core team sits at the top; callers are chosen from the callee's own zone where
possible, because neighbors on one block can knock when the phones fail. Every callee confirms
back to whoever called them, so each caller knows whom they reached and whom to try again.
Links set by hand (`manual=True`) are kept as they are by every regeneration.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from magnet.document import GroupDocument
from magnet.records import CallTreeLink, Member, MembershipLevel, MemberStatus

FANOUT = 5
_LEVEL_RANK = {
    MembershipLevel.CORE_TEAM.value: 0,
    MembershipLevel.ACTIVE_MEMBER.value: 1,
    MembershipLevel.VOLUNTEER.value: 2,
    MembershipLevel.ADVISORY.value: 3,
}


def in_call_tree(member: Member) -> bool:
    """Consented to share contact details, not archived, not left."""
    return member.consent_share and not member.archived and member.status != MemberStatus.LEFT.value


def _rank(member: Member) -> tuple[int, date, str, str]:
    return (_LEVEL_RANK.get(member.level, 2), member.joined or date.max, member.name.lower(), member.id)


@dataclass(frozen=True)
class PlannedLink:
    caller_id: str
    member_id: str
    order: int
    confirms_to: str
    manual: bool = False


@dataclass(frozen=True)
class CallTreePlan:
    root_id: str | None  # who starts the calls (the first of the core team)
    links: tuple[PlannedLink, ...]  # top down, each caller's callees in order
    left_out: tuple[Member, ...]  # active members not in the tree: no consent to share contacts
    ignored_manual: tuple[CallTreeLink, ...]  # links set by hand that no longer fit (kept, not used)


def _usable_manual(links: Iterable[CallTreeLink], ids: set[str]) -> tuple[dict[str, CallTreeLink], list[CallTreeLink]]:
    """One hand-set link per callee (the newest), both ends in the tree, and no loops."""
    fixed: dict[str, CallTreeLink] = {}
    ignored: list[CallTreeLink] = []
    newest_first = sorted(
        (link for link in links if link.manual and not link.archived),
        key=lambda link: (link.updated_at or datetime.min, link.id),
        reverse=True,
    )
    for link in newest_first:
        ok = link.member_id in ids and link.caller_id in ids and link.caller_id != link.member_id
        if not ok or link.member_id in fixed:
            ignored.append(link)
        else:
            fixed[link.member_id] = link
    while True:
        loop = _find_loop(fixed)
        if loop is None:
            return fixed, ignored
        ignored.append(fixed.pop(loop))


def _find_loop(fixed: dict[str, CallTreeLink]) -> str | None:
    for start in sorted(fixed):
        seen: set[str] = set()
        current = start
        while current in fixed:
            if current in seen:
                return current
            seen.add(current)
            current = fixed[current].caller_id
    return None


class _Tree:
    """The tree being grown: callees per caller, each node's depth and zone."""

    def __init__(self, fanout: int, fixed: dict[str, CallTreeLink], zones: dict[str, str], core: set[str]) -> None:
        self.fanout = fanout
        self.zones = zones
        self.core = core
        self.children: dict[str, list[str]] = {}
        self.depth: dict[str, int] = {}
        self.placed: list[str] = []
        self.manual: set[str] = set(fixed)
        self.fixed_children: dict[str, list[str]] = {}
        for link in sorted(fixed.values(), key=lambda link: (link.order, link.member_id)):
            self.fixed_children.setdefault(link.caller_id, []).append(link.member_id)

    def place(self, member_id: str, caller_id: str | None) -> None:
        """Put a member under a caller; their hand-set callees come along beneath them."""
        self.depth[member_id] = 0 if caller_id is None else self.depth[caller_id] + 1
        self.children[member_id] = []
        if caller_id is not None:
            self.children[caller_id].append(member_id)
        self.placed.append(member_id)
        for child in self.fixed_children.get(member_id, []):
            self.place(child, member_id)

    def best_caller(self, member_id: str) -> str:
        """A same-zone caller with room, nearest the top; else the nearest caller with room."""
        zone = self.zones[member_id]
        room = [(i, n) for i, n in enumerate(self.placed) if len(self.children[n]) < self.fanout]
        same = [(i, n) for i, n in room if self.zones[n] == zone]
        if same:
            return min(same, key=lambda p: (self.depth[p[1]], len(self.children[p[1]]), p[0]))[1]
        # The first of a zone leads it: hang them off the core team where there is room.
        return min(room, key=lambda p: (p[1] not in self.core, self.depth[p[1]], len(self.children[p[1]]), p[0]))[1]


def plan_call_tree(
    members: Iterable[Member], manual_links: Iterable[CallTreeLink] = (), *, fanout: int = FANOUT
) -> CallTreePlan:
    """A call tree covering every consenting member exactly once, hand-set links kept."""
    if fanout < 1:
        raise ValueError("each caller must call at least one person")
    roster = [m for m in members if not m.archived]
    people = sorted((m for m in roster if in_call_tree(m)), key=_rank)
    left_out = tuple(
        sorted(
            (m for m in roster if not m.consent_share and m.status != MemberStatus.LEFT.value),
            key=lambda m: m.name.lower(),
        )
    )
    ids = {m.id for m in people}
    fixed, ignored = _usable_manual(manual_links, ids)
    free = [m for m in people if m.id not in fixed]
    if not free:
        return CallTreePlan(None, (), left_out, tuple(ignored))
    zones = {m.id: " ".join(m.zone.lower().split()) for m in people}
    core = {m.id for m in people if m.level == MembershipLevel.CORE_TEAM.value}
    tree = _Tree(fanout, fixed, zones, core)
    root = free[0]
    tree.place(root.id, None)
    rest = [m for m in free[1:] if m.id in core] + sorted(
        (m for m in free[1:] if m.id not in core), key=lambda m: (zones[m.id] == "", zones[m.id], _rank(m))
    )
    for member in rest:
        if member.id not in tree.depth:
            tree.place(member.id, tree.best_caller(member.id))
    links: list[PlannedLink] = []
    for caller in tree.placed:
        for order, callee in enumerate(tree.children[caller], 1):
            links.append(PlannedLink(caller, callee, order, caller, manual=callee in tree.manual))
    return CallTreePlan(root.id, tuple(links), left_out, tuple(ignored))


@dataclass(frozen=True)
class CallTreeUpdate:
    plan: CallTreePlan
    added: int = 0
    changed: int = 0
    archived: int = 0


def regenerate(doc: GroupDocument, *, fanout: int = FANOUT) -> CallTreeUpdate:
    """Rebuild the stored tree from today's roster, rewriting only links that change.

    Each member keeps one link record, updated in place, so a concurrent hand edit on another
    device lands on the same record instead of on one this device deleted.
    """
    current = doc.call_tree.all()
    plan = plan_call_tree(doc.members.all(), current, fanout=fanout)
    planned = {link.member_id: link for link in plan.links if not link.manual}
    keep: dict[str, CallTreeLink] = {}
    retire: list[CallTreeLink] = []
    for link in sorted(
        (link for link in current if not link.manual),
        key=lambda link: (link.updated_at or datetime.min, link.id),
        reverse=True,
    ):
        if link.member_id in planned and link.member_id not in keep:
            keep[link.member_id] = link
        else:
            retire.append(link)
    new: list[dict[str, object]] = []
    changed = 0
    for member_id, want in planned.items():
        have = keep.get(member_id)
        values = {"caller_id": want.caller_id, "order": want.order, "confirms_to": want.confirms_to}
        if have is None:
            new.append({"member_id": member_id, **values})
        elif (have.caller_id, have.order, have.confirms_to) != (want.caller_id, want.order, want.confirms_to):
            doc.call_tree.update(have.id, **values)
            changed += 1
    doc.call_tree.add_many(new)
    for link in retire:
        doc.call_tree.archive(link.id)
    return CallTreeUpdate(plan, added=len(new), changed=changed, archived=len(retire))


# ---- reading the stored tree -------------------------------------------------------------------


@dataclass(frozen=True)
class TreeLine:
    """One person in the printed tree: how deep, who calls them, whom they confirm to."""

    depth: int
    member: Member
    caller: Member | None
    confirms_to: Member | None
    manual: bool = False


def tree_lines(members: Sequence[Member], links: Iterable[PlannedLink | CallTreeLink]) -> list[TreeLine]:
    """The tree top down, depth first, as a phone list prints it.

    Reads stored links defensively: links to members no longer in the tree are skipped, a member
    with two links (two devices regenerated at once) shows once (hand-set first, then newest).
    """
    people = {m.id: m for m in members if in_call_tree(m)}
    chosen: dict[str, PlannedLink] = {}
    ranked = sorted(links, key=_link_rank, reverse=True)
    for link in ranked:
        if isinstance(link, CallTreeLink) and link.archived:
            continue
        if link.member_id in people and link.caller_id in people and link.member_id not in chosen:
            chosen[link.member_id] = PlannedLink(
                link.caller_id, link.member_id, link.order, link.confirms_to, link.manual
            )
    callees: dict[str, list[PlannedLink]] = {}
    for link in chosen.values():
        callees.setdefault(link.caller_id, []).append(link)
    roots = [m for m in sorted(people.values(), key=_rank) if m.id not in chosen and m.id in callees]
    lines: list[TreeLine] = []
    seen: set[str] = set()

    def walk(member_id: str, depth: int, via: PlannedLink | None) -> None:
        if member_id in seen:
            return
        seen.add(member_id)
        lines.append(
            TreeLine(
                depth,
                people[member_id],
                people.get(via.caller_id) if via else None,
                people.get(via.confirms_to) if via else None,
                via.manual if via else False,
            )
        )
        for link in sorted(callees.get(member_id, []), key=lambda link: (link.order, people[link.member_id].name)):
            walk(link.member_id, depth + 1, link)

    for root in roots:
        walk(root.id, 0, None)
    return lines


def _link_rank(link: PlannedLink | CallTreeLink) -> tuple[bool, datetime, str]:
    if isinstance(link, CallTreeLink):
        return (link.manual, link.updated_at or datetime.min, link.id)
    return (link.manual, datetime.min, link.member_id)


def not_in_tree(members: Sequence[Member], lines: Sequence[TreeLine]) -> list[Member]:
    """Consenting members the stored tree does not reach yet (joined since it was generated)."""
    reached = {line.member.id for line in lines}
    return sorted((m for m in members if in_call_tree(m) and m.id not in reached), key=lambda m: m.name.lower())
