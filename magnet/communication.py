"""The communication plan: PACE tiers in order with what is missing, and announcements as people read them.

PACE (primary, alternate, contingency, emergency) only works when every tier has a channel and a
trigger that says when to move on; a tier without either is what the plan screen points out. The
call tree itself is `magnet.calltree`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from magnet.records import Announcement, AnnouncementUrgency, Channel, PaceTier

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
