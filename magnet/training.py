"""Training: courses and their sessions, who holds which certification, renewals due, coverage by zone.

Finishing a course that gives a skill also records a certificate that expires when the course
says (`valid_months`), because that is what makes a lapsed first-aider stop counting: the skills
matrix (`magnet.skills`, shared with the roster and the dashboard) drops anyone whose every
certificate for a skill has expired. A renewal is due for a certificate lapsing within the warning
window, unless its holder already has a newer valid one for the same skill.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from magnet.document import GroupDocument
from magnet.readiness import CERT_WARNING_DAYS, is_expired, skill_key
from magnet.records import Certification, Course, Event, Member, TrainingRecord
from magnet.skills import SkillsMatrix


def add_months(day: date, months: int) -> date:
    """The same day `months` later (the month's last day when it has fewer)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def sessions(course: Course, events: Iterable[Event]) -> list[Event]:
    """The course's sessions (training events that name it), soonest first."""
    found = [e for e in events if not e.archived and e.course_id == course.id]
    found.sort(key=lambda e: e.starts or datetime.min)
    return found


def completions(course: Course, trainings: Iterable[TrainingRecord]) -> list[TrainingRecord]:
    found = [t for t in trainings if not t.archived and t.course_id == course.id]
    found.sort(key=lambda t: t.completed or date.min, reverse=True)
    return found


def complete_course(
    doc: GroupDocument, member_id: str, course_id: str, *, on: date, event_id: str = ""
) -> tuple[TrainingRecord, Certification | None]:
    """Record that a member finished a course; a course that gives a skill certifies it too."""
    course = doc.courses.get(course_id)
    doc.members.get(member_id)
    record = doc.trainings.add(member_id=member_id, course_id=course_id, completed=on, event_id=event_id)
    if not course.skill.strip():
        return record, None
    issuer = course.provider
    if not issuer and course.partner_id:
        partner = doc.partners.find(course.partner_id)
        issuer = partner.name if partner else ""
    certificate = doc.certifications.add(
        name=course.name,
        member_id=member_id,
        skill=course.skill,
        issuer=issuer,
        issued=on,
        expires=add_months(on, course.valid_months) if course.valid_months > 0 else None,
        course_id=course_id,
    )
    return record, certificate


# ---- certificates -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Holding:
    """A member's best certificate for a skill, and whether it still counts."""

    member: Member
    certificate: Certification
    expired: bool
    expiring: bool  # still valid, lapses within the warning window


@dataclass(frozen=True)
class SkillCertificates:
    skill: str
    holdings: tuple[Holding, ...]  # one per member: valid first, then lapsed

    @property
    def valid(self) -> tuple[Holding, ...]:
        return tuple(h for h in self.holdings if not h.expired)

    @property
    def lapsed(self) -> tuple[Holding, ...]:
        return tuple(h for h in self.holdings if h.expired)


def _lasts(cert: Certification) -> date:
    return cert.expires or date.max


def who_holds(
    certifications: Iterable[Certification],
    members: Iterable[Member],
    *,
    today: date,
    warn_days: int = CERT_WARNING_DAYS,
) -> list[SkillCertificates]:
    """Per skill, each active member's longest-lasting certificate; lapsed ones are shown, not counted."""
    people = {m.id: m for m in members if not m.archived and m.status == "active"}
    best: dict[tuple[str, str], Certification] = {}
    for cert in certifications:
        if cert.archived or cert.member_id not in people:
            continue
        key = (skill_key(cert.skill or cert.name), cert.member_id)
        if key not in best or _lasts(cert) > _lasts(best[key]):
            best[key] = cert
    warn_until = today + timedelta(days=warn_days)
    by_skill: dict[str, list[Holding]] = {}
    for (skill, member_id), cert in best.items():
        expired = is_expired(cert, today)
        expiring = not expired and cert.expires is not None and cert.expires <= warn_until
        by_skill.setdefault(skill, []).append(Holding(people[member_id], cert, expired, expiring))
    return [
        SkillCertificates(
            skill, tuple(sorted(found, key=lambda h: (h.expired, _lasts(h.certificate), h.member.name.lower())))
        )
        for skill, found in sorted(by_skill.items())
    ]


def renewals_due(
    certifications: Iterable[Certification],
    members: Iterable[Member],
    *,
    today: date,
    warn_days: int = CERT_WARNING_DAYS,
) -> list[Holding]:
    """Certificates lapsing within the window or lapsed, where the holder has nothing newer: soonest first."""
    due = [
        h
        for skill in who_holds(certifications, members, today=today, warn_days=warn_days)
        for h in skill.holdings
        if h.expired or h.expiring
    ]
    due.sort(key=lambda h: (_lasts(h.certificate), h.member.name.lower()))
    return due


# ---- coverage by zone -------------------------------------------------------------------------


@dataclass(frozen=True)
class ZoneCoverage:
    zone: str
    needed: int
    covered: int  # needed skills someone in the zone counts for today
    gaps: tuple[str, ...]
    at_risk: tuple[str, ...]  # covered only by certificates about to lapse

    @property
    def share(self) -> float:
        return self.covered / self.needed if self.needed else 1.0


def coverage(matrix: SkillsMatrix) -> list[ZoneCoverage]:
    """How many of the needed skills each zone has someone for, worst zone first."""
    needed = [s for s in matrix.skills if s in matrix.needed]
    zones = [
        ZoneCoverage(
            zone,
            len(needed),
            sum(1 for s in needed if matrix.holders(s, zone)),
            tuple(matrix.gaps(zone)),
            tuple(matrix.at_risk(zone)),
        )
        for zone in matrix.zones
    ]
    zones.sort(key=lambda z: (z.share, -len(z.at_risk), z.zone.lower()))
    return zones
