"""The communication plan: PACE tiers in order with what is missing, and announcements as people read them.

PACE (primary, alternate, contingency, emergency) only works when every tier has a channel and a
trigger that says when to move on; a tier without either is what the plan screen points out. The
call tree itself is `magnet.calltree`; this adds the hand adjustments people make to it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from magnet.calltree import CallTreeUpdate, in_call_tree, regenerate
from magnet.document import GroupDocument
from magnet.errors import MagnetError
from magnet.records import Announcement, AnnouncementUrgency, CallTreeLink, Channel, PaceTier

_URGENCY = {u.value: i for i, u in enumerate(reversed(AnnouncementUrgency))}  # urgent first


@dataclass(frozen=True)
class Tier:
    tier: str
    channels: tuple[Channel, ...]

    @property
    def problems(self) -> tuple[str, ...]:
        """What makes this tier unusable in a crisis."""
        if not self.channels:
            return (f"no {self.tier} channel",)
        if not any(c.trigger.strip() for c in self.channels):
            return (f"no trigger for leaving the {self.tier} channel",)
        return ()


def pace_plan(channels: Iterable[Channel]) -> list[Tier]:
    """The four tiers in order (a group's own tier names after them), each with its channels."""
    live = [c for c in channels if not c.archived]
    tiers = [t.value for t in PaceTier]
    tiers += sorted({c.tier for c in live} - set(tiers))
    return [
        Tier(tier, tuple(sorted((c for c in live if c.tier == tier), key=lambda c: c.name.lower()))) for tier in tiers
    ]


def plan_problems(plan: Iterable[Tier]) -> list[str]:
    return [problem for tier in plan for problem in tier.problems]


def how_to_reach(channel: Channel) -> str:
    """One line with everything needed to use a channel: radio channel, frequency, phone, place, schedule."""
    parts = [channel.details, channel.radio_channel, channel.frequency, channel.phone, channel.place, channel.schedule]
    return "; ".join(p.strip() for p in parts if p.strip())


def announcements_in_order(announcements: Iterable[Announcement]) -> list[Announcement]:
    """Pinned first, then urgent before routine, newest first."""
    newest = sorted(
        (a for a in announcements if not a.archived),
        key=lambda a: (a.posted_at or a.created_at or datetime.min, a.name.lower()),
        reverse=True,
    )
    return sorted(newest, key=lambda a: (not a.pinned, _URGENCY.get(a.urgency, len(_URGENCY))))


# ---- adjusting the call tree by hand ----------------------------------------------------------


def set_caller(doc: GroupDocument, member_id: str, caller_id: str) -> CallTreeUpdate:
    """`caller_id` rings `member_id` from now on, whatever the roster suggests; the rest is rebuilt around it.

    The member's one link record is updated in place (so a concurrent edit elsewhere lands on the
    same record), marked as set by hand, and put last in the caller's list.
    """
    if member_id == caller_id:
        raise MagnetError("a member cannot call themselves")
    for who in (member_id, caller_id):
        if not in_call_tree(doc.members.get(who)):
            raise MagnetError(f"{doc.members.get(who).name} is not in the call tree (no consent to share contacts)")

    def write() -> CallTreeUpdate:
        links = doc.call_tree.all()
        order = max((link.order for link in links if link.caller_id == caller_id), default=0) + 1
        values = {"caller_id": caller_id, "confirms_to": caller_id, "order": order, "manual": True}
        mine = sorted((link for link in links if link.member_id == member_id), key=_newest, reverse=True)
        if mine:
            doc.call_tree.update(mine[0].id, **values)
        else:
            doc.call_tree.add(member_id=member_id, **values)
        return regenerate(doc)

    return doc.atomic(write)


def release(doc: GroupDocument, member_id: str) -> CallTreeUpdate:
    """Hand a member back to the generated tree."""

    def write() -> CallTreeUpdate:
        for link in doc.call_tree.all():
            if link.member_id == member_id and link.manual:
                doc.call_tree.update(link.id, manual=False)
        return regenerate(doc)

    return doc.atomic(write)


def _newest(link: CallTreeLink) -> tuple[datetime, str]:
    return (link.updated_at or datetime.min, link.id)
