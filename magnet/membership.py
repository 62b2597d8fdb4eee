"""Membership: levels and roles with their responsibilities, who holds which, and who has gone quiet.

A member's level ("core team") and roles ("block captain") are words on the member; the Role
records describe them. Matching is by name, loosely ("Core team" is `core_team`), and a level or
role people hold that nobody has described yet still shows, so the group sees what to write up.
A member is *seen* when they attend or RSVP to an event, check in, finish a training, answer a
survey, give feedback, or someone marks them active; those not seen for `QUIET_DAYS` are the
people a coordinator should call.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from magnet.document import GroupDocument
from magnet.records import (
    CheckIn,
    Event,
    Feedback,
    Member,
    MembershipLevel,
    MemberStatus,
    Role,
    RoleKind,
    Rsvp,
    SurveyResponse,
    TrainingRecord,
)
from magnet.values import choice_label

QUIET_DAYS = 90
_LEVEL_ORDER = {level.value: i for i, level in enumerate(MembershipLevel)}


def role_key(name: str) -> str:
    """'Core team', 'core_team' and 'core-team' are one level."""
    return re.sub(r"[\s\-/_]+", "_", name.strip().lower())


def in_group(member: Member) -> bool:
    return not member.archived and member.status != MemberStatus.LEFT.value


@dataclass(frozen=True)
class Post:
    """A level or role, what it asks of people, and who holds it."""

    key: str
    name: str
    kind: str  # "level" or "role"
    role: Role | None  # None: held by someone, not described yet
    holders: tuple[Member, ...]

    @property
    def responsibilities(self) -> str:
        return self.role.responsibilities if self.role else ""


def posts(roles: Iterable[Role], members: Iterable[Member]) -> list[Post]:
    """Every level (core team first) then every role, each with its current holders."""
    described = [r for r in roles if not r.archived]
    people = sorted((m for m in members if in_group(m)), key=lambda m: m.name.lower())
    result: list[Post] = []
    for kind in (RoleKind.LEVEL.value, RoleKind.ROLE.value):
        by_key: dict[str, Role] = {}
        for role in described:
            if role.kind == kind:
                by_key.setdefault(role_key(role.name), role)
        held: dict[str, list[Member]] = {}
        names: dict[str, str] = {}
        for member in people:
            for name in [member.level] if kind == RoleKind.LEVEL.value else sorted(member.roles):
                if name.strip():
                    held.setdefault(role_key(name), []).append(member)
                    names.setdefault(role_key(name), name)
        keys = set(by_key) | set(held)
        for key in sorted(keys, key=lambda k: (_LEVEL_ORDER.get(k, len(_LEVEL_ORDER)), k)):
            described_as = by_key.get(key)
            name = described_as.name if described_as else choice_label(names[key])
            result.append(Post(key, name[:1].upper() + name[1:], kind, described_as, tuple(held.get(key, []))))
    return result


def duties(member: Member, roles: Iterable[Role]) -> list[tuple[str, str]]:
    """(level or role, its responsibilities) for one member: what they signed up for."""
    by_key = {(r.kind, role_key(r.name)): r for r in roles if not r.archived}
    found: list[tuple[str, str]] = []
    for kind, names in ((RoleKind.LEVEL.value, [member.level]), (RoleKind.ROLE.value, sorted(member.roles))):
        for name in names:
            if name.strip():
                role = by_key.get((kind, role_key(name)))
                found.append((role.name if role else choice_label(name), role.responsibilities if role else ""))
    return found


# ---- who has been active ----------------------------------------------------------------------


@dataclass(frozen=True)
class Seen:
    """When a member last took part, and how."""

    member: Member
    day: date | None
    how: str

    def quiet_days(self, today: date) -> int | None:
        return None if self.day is None else (today - self.day).days


def last_seen(
    members: Iterable[Member],
    *,
    today: date,
    events: Iterable[Event] = (),
    checkins: Iterable[CheckIn] = (),
    trainings: Iterable[TrainingRecord] = (),
    responses: Iterable[SurveyResponse] = (),
    feedback: Iterable[Feedback] = (),
) -> dict[str, Seen]:
    """Member id -> the latest sign of them taking part (nothing after `today` counts).

    An RSVP counts from the event's day, or today for an event still ahead: saying yes to next
    week's meeting is taking part now.
    """
    people = {m.id: m for m in members}
    best: dict[str, tuple[date, str]] = {}

    def saw(member_id: str, day: date | None, how: str) -> None:
        if member_id not in people or day is None:
            return
        day = min(day, today)
        if member_id not in best or day > best[member_id][0]:
            best[member_id] = (day, how)

    for member in people.values():
        saw(member.id, member.last_active, "marked active")
        # Someone who joined last week is new, not quiet: joining is taking part.
        joined = member.joined or (member.created_at.date() if member.created_at else None)
        if joined is not None and joined <= today:
            saw(member.id, joined, "joined")
    for event in events:
        if event.archived or event.starts is None:
            continue
        day = event.starts.date()
        for member_id in event.attendance:
            if day <= today:
                saw(member_id, day, f"came to {event.name}")
        for member_id, answer in event.rsvps.items():
            if answer in (Rsvp.YES.value, Rsvp.MAYBE.value):
                saw(member_id, day, f"RSVP'd to {event.name}")
    for checkin in checkins:
        if not checkin.archived and checkin.at is not None:
            saw(checkin.member_id, checkin.at.date(), "checked in")
    for record in trainings:
        if not record.archived:
            saw(record.member_id, record.completed, "finished a training")
    for response in responses:
        if not response.archived and response.recorded_at is not None:
            saw(response.member_id, response.recorded_at.date(), "answered a survey")
    for given in feedback:
        if not given.archived and given.given_at is not None:
            saw(given.member_id, given.given_at.date(), "gave feedback")
    return {member_id: Seen(member, *best.get(member_id, (None, "never seen"))) for member_id, member in people.items()}


def quiet(seen: Iterable[Seen], *, today: date, days: int = QUIET_DAYS) -> list[Seen]:
    """Active members not seen for `days` (or ever), longest quiet first."""
    cut = today - timedelta(days=days)
    found = [
        s
        for s in seen
        if in_group(s.member) and s.member.status == MemberStatus.ACTIVE.value and (s.day is None or s.day < cut)
    ]
    found.sort(key=lambda s: (s.day is not None, s.day or date.min, s.member.name.lower()))
    return found


def group_last_seen(doc: GroupDocument, *, today: date) -> dict[str, Seen]:
    """`last_seen` over the whole group's records."""
    return last_seen(
        doc.members.all(),
        today=today,
        events=doc.events.all(),
        checkins=doc.checkins.all(),
        trainings=doc.trainings.all(),
        responses=doc.responses.all(),
        feedback=doc.feedback.all(),
    )


def mark_active(doc: GroupDocument, member_id: str, *, on: date) -> Member:
    """Someone showed up in a way no record shows (a chat at the door): they are not quiet."""
    member = doc.members.get(member_id)
    if member.last_active is not None and member.last_active >= on:
        return member
    return doc.members.update(member_id, last_active=on)
