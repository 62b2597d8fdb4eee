"""Welfare check-ins in a crisis, and requests and offers between neighbors."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from magnet.fields import choice, moment, ref, text
from magnet.kinds import Kind
from magnet.record import Record


class Welfare(StrEnum):
    SAFE = "safe"
    NEEDS_HELP = "needs_help"
    UNKNOWN = "unknown"


@dataclass(frozen=True, kw_only=True)
class CheckIn(Record):
    """One welfare report; the latest per member (or household) is their current status.

    Reports are never overwritten, so two block captains reporting at once both count.
    """

    KIND = Kind("checkins", noun="check-in", words=("checkin",), title="status")

    member_id: str = ref("Member", "members")
    household_id: str = ref("Household", "households")
    status: str = choice("Status", Welfare, default="unknown")
    at: datetime | None = moment("At", required=True)
    note: str = text("Note")
    recorded_by: str = ref("Recorded by", "members")


class ExchangeKind(StrEnum):
    REQUEST = "request"
    OFFER = "offer"


class ExchangeState(StrEnum):
    OPEN = "open"
    MATCHED = "matched"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    CANCELLED = "cancelled"


@dataclass(frozen=True, kw_only=True)
class Exchange(Record):
    """A request for help or an offer of it; matched with its counterpart and tracked to done."""

    KIND = Kind(
        "exchanges",
        noun="request or offer",
        plural="requests and offers",
        words=("requests", "offers", "request", "offer", "exchange"),
    )

    name: str = text("What", required=True, aliases=("title", "what", "need", "offer"))
    kind: str = choice("Kind", ExchangeKind, default="request")
    member_id: str = ref("From", "members")
    category: str = text("Category")
    details: str = text("Details", multiline=True)
    state: str = choice("State", ExchangeState, default="open")
    match_id: str = ref("Matched with", "exchanges")
    posted_at: datetime | None = moment("Posted")
    done_at: datetime | None = moment("Done")
