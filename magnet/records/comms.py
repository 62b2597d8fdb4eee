"""The communication plan: PACE channels, announcements and the call tree."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from magnet.fields import choice, flag, integer, moment, ref, text
from magnet.kinds import Kind
from magnet.record import Record


class PaceTier(StrEnum):
    PRIMARY = "primary"
    ALTERNATE = "alternate"
    CONTINGENCY = "contingency"
    EMERGENCY = "emergency"


@dataclass(frozen=True, kw_only=True)
class Channel(Record):
    """One way the group reaches its members, in a PACE tier, with the trigger to move past it."""

    KIND = Kind("channels", noun="channel")

    name: str = text("Channel", required=True, aliases=("channel", "method"))
    tier: str = choice("PACE tier", PaceTier, default="primary", aliases=("tier", "pace"))
    details: str = text("Details", help="Group chat name, phone tree, board location", multiline=True)
    radio_channel: str = text("Radio channel", aliases=("channel number",))
    frequency: str = text("Frequency", aliases=("freq", "mhz"))
    phone: str = text("Phone")
    place: str = text("Place", aliases=("meeting point", "location"))
    schedule: str = text("Schedule", help="When it is monitored, e.g. 'on the hour, 5 minutes'")
    trigger: str = text("Switch when", help="What makes the group move to the next tier")


class AnnouncementUrgency(StrEnum):
    INFO = "info"
    IMPORTANT = "important"
    URGENT = "urgent"


@dataclass(frozen=True, kw_only=True)
class Announcement(Record):
    KIND = Kind("announcements", noun="announcement")

    name: str = text("Headline", required=True, aliases=("title", "subject"))
    body: str = text("Message", multiline=True)
    urgency: str = choice("Urgency", AnnouncementUrgency, default="info")
    posted_at: datetime | None = moment("Posted")
    author_id: str = ref("Author", "members")
    pinned: bool = flag("Pinned")


@dataclass(frozen=True, kw_only=True)
class CallTreeLink(Record):
    """One caller -> callee line of the call tree; generated from the roster, adjustable by hand."""

    KIND = Kind("call_tree", noun="call tree link", words=("calltree",), title="member_id")

    caller_id: str = ref("Caller", "members", required=True)
    member_id: str = ref("Calls", "members", required=True)
    order: int = integer("Order", minimum=0)
    confirms_to: str = ref("Confirms back to", "members")
    manual: bool = flag("Set by hand")
