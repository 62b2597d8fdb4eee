"""The skills matrix: who holds which skill in each zone, the gaps by zone, certificates lapsing soon.

When the bridge is out, what matters is whether someone on *this* side of it can do first aid.
So skills are counted per zone. A member counts for a skill they list or hold a valid certificate
for; once every certificate they hold for it has expired they no longer count (the rule
`readiness.skill_holders` applies everywhere), and one expiring within the warning window marks
them as "expiring", so a zone whose only first-aider lapses next month shows as at risk now.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from magnet.document import GroupDocument
from magnet.readiness import CERT_WARNING_DAYS, is_expired, needed_skills, skill_holders, skill_key
from magnet.records import Certification, Household, Member

NO_ZONE = "(no zone)"


@dataclass(frozen=True)
class Holder:
    """A member who counts for a skill; `expires` is set when the certificate behind it lapses soon."""

    member: Member
    expires: date | None = None

    @property
    def expiring(self) -> bool:
        return self.expires is not None


@dataclass(frozen=True)
class SkillsMatrix:
    zones: tuple[str, ...]
    skills: tuple[str, ...]
    needed: frozenset[str]
    cells: dict[tuple[str, str], tuple[Holder, ...]] = field(default_factory=dict)
    expiring: tuple[Certification, ...] = ()  # still valid, lapse within the warning window
    expired: tuple[Certification, ...] = ()  # lapsed: no longer count

    def holders(self, skill: str, zone: str) -> tuple[Holder, ...]:
        return self.cells.get((skill, zone), ())

    def is_gap(self, skill: str, zone: str) -> bool:
        """A needed skill nobody in the zone counts for today."""
        return skill in self.needed and not self.holders(skill, zone)

    def is_at_risk(self, skill: str, zone: str) -> bool:
        """A needed skill whose every holder in the zone has a certificate about to lapse."""
        found = self.holders(skill, zone)
        return skill in self.needed and bool(found) and all(h.expiring for h in found)

    def gaps(self, zone: str) -> list[str]:
        return [s for s in self.skills if self.is_gap(s, zone)]

    def at_risk(self, zone: str) -> list[str]:
        return [s for s in self.skills if self.is_at_risk(s, zone)]


def member_zone(member: Member, households: dict[str, Household]) -> str:
    """The member's zone, else their household's, else NO_ZONE."""
    if member.zone.strip():
        return member.zone.strip()
    household = households.get(member.household_id)
    if household is not None and household.zone.strip():
        return household.zone.strip()
    return NO_ZONE


def _lapse_dates(certifications: Iterable[Certification], *, today: date) -> dict[tuple[str, str], date | None]:
    """(member, skill) -> when the last valid certificate for it expires (None: one never does)."""
    lapse: dict[tuple[str, str], date | None] = {}
    for cert in certifications:
        if cert.archived or not cert.skill.strip() or is_expired(cert, today):
            continue
        key = (cert.member_id, skill_key(cert.skill))
        if key not in lapse:
            lapse[key] = cert.expires
        else:
            known = lapse[key]
            lapse[key] = None if known is None or cert.expires is None else max(known, cert.expires)
    return lapse


def skills_matrix(
    members: Iterable[Member],
    certifications: Iterable[Certification],
    households: Iterable[Household] = (),
    *,
    today: date,
    needed: Iterable[str] = (),
    warn_days: int = CERT_WARNING_DAYS,
) -> SkillsMatrix:
    """Skills by zone for active members; `needed` skills with no holder in a zone are its gaps."""
    active = [m for m in members if not m.archived and m.status == "active"]
    by_id = {m.id: m for m in active}
    certs = [c for c in certifications if not c.archived]
    homes = {h.id: h for h in households}
    holders = skill_holders(active, certs, today=today)
    lapse = _lapse_dates(certs, today=today)
    warn_until = today + timedelta(days=warn_days)
    cells: dict[tuple[str, str], list[Holder]] = {}
    for skill, member_ids in holders.items():
        for member_id in member_ids:
            member = by_id[member_id]
            ends = lapse.get((member_id, skill))
            expires = ends if ends is not None and ends <= warn_until else None
            cells.setdefault((skill, member_zone(member, homes)), []).append(Holder(member, expires))
    needed_keys = frozenset(skill_key(s) for s in needed)
    zones = sorted({member_zone(m, homes) for m in active}, key=lambda z: (z == NO_ZONE, z.lower()))
    skills = sorted(set(holders) | needed_keys)
    expiring = sorted(
        (c for c in certs if c.member_id in by_id and c.expires is not None and today <= c.expires <= warn_until),
        key=lambda c: (c.expires or today, c.name.lower()),
    )
    expired = sorted(
        (c for c in certs if c.member_id in by_id and is_expired(c, today)),
        key=lambda c: (c.expires or today, c.name.lower()),
    )
    return SkillsMatrix(
        zones=tuple(zones),
        skills=tuple(skills),
        needed=needed_keys,
        cells={key: tuple(sorted(found, key=lambda h: h.member.name.lower())) for key, found in cells.items()},
        expiring=tuple(expiring),
        expired=tuple(expired),
    )


def group_skills(doc: GroupDocument, *, today: date, warn_days: int = CERT_WARNING_DAYS) -> SkillsMatrix:
    """The matrix for a whole group, with the essential skills and those its courses give as needed."""
    return skills_matrix(
        doc.members.all(),
        doc.certifications.all(),
        doc.households.all(),
        today=today,
        needed=needed_skills(doc.courses.all()),
        warn_days=warn_days,
    )
