"""The group's own profile: who it is, where it meets, where people rally in a crisis."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from magnet.fields import date_field, entries, integer, text
from magnet.kinds import Kind
from magnet.record import Record


@dataclass(frozen=True, kw_only=True)
class GroupProfile(Record):
    KIND = Kind("group", noun="group")

    name: str = text("Group name", required=True)
    area: str = text("Area", help="The streets or blocks the group covers")
    meeting_place: str = text("Meeting place")
    mission: str = text("Mission", multiline=True)
    created: date | None = date_field("Created")
    rally_points: dict[str, dict[str, Any]] = entries(
        "Rally points",
        name=text("Name", required=True),
        place=text("Where"),
        notes=text("Notes", multiline=True),
        order=integer("Order"),
    )
