"""The printable group binder: what a block captain needs on paper when every screen is dark.

This module decides what goes on the pages (sections of tables and text), as plain data;
`binder_html` and `binder_md` only lay it out, each escaping every string it is given. Every
page carries the date and the document's version (a short hash of its heads and its change
count), so an old printout is recognised next to a new one. Sensitive fields (addresses, medical
notes, special needs, emergency contacts) are printed only when asked for, and phone numbers and
emails only for members who agreed to share them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from magnet import calltree
from magnet.document import GroupDocument
from magnet.readiness import upcoming_events
from magnet.records import Household, Member, MemberStatus, PaceTier
from magnet.skills import group_skills
from magnet.values import choice_label

UPCOMING_DAYS = 90
UPCOMING_LIMIT = 40
NOT_SHARED = "(not shared)"


@dataclass(frozen=True)
class Strong:
    """A cell or phrase that must stand out on paper (a skills gap)."""

    text: str


Cell = str | Strong


@dataclass(frozen=True)
class Table:
    headers: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    empty: str = "None recorded."


@dataclass(frozen=True)
class Text:
    text: str


@dataclass(frozen=True)
class Subheading:
    text: str


Block = Table | Text | Subheading


@dataclass(frozen=True)
class Section:
    key: str  # the anchor: "roster", "contacts", ...
    title: str
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class Stamp:
    printed: datetime
    version: str
    changes: int

    def describe(self) -> str:
        return f"printed {self.printed:%Y-%m-%d %H:%M} · version {self.version} · {self.changes:,} changes"


@dataclass(frozen=True)
class Binder:
    group: str
    about: tuple[str, ...]
    stamp: Stamp
    sensitive: bool
    sections: tuple[Section, ...] = field(default=())

    @property
    def privacy_note(self) -> str:
        if self.sensitive:
            return "CONFIDENTIAL: includes addresses, medical notes, special needs and emergency contacts."
        return "Sensitive fields (addresses, medical notes, special needs, emergency contacts) are left out."


def document_version(doc: GroupDocument) -> tuple[str, int]:
    """A short hash of the document's heads and its number of changes: equal on every synced device."""
    heads = sorted(doc.heads())
    digest = hashlib.sha256(b"".join(heads)).hexdigest()[:8]
    return digest, doc.change_count()


def build_binder(doc: GroupDocument, *, sensitive: bool = False, now: datetime | None = None) -> Binder:
    """Every section, in the order a binder is read in a crisis."""
    now = now or datetime.now().replace(microsecond=0)
    profile = doc.profile
    version, changes = document_version(doc)
    about = tuple(
        line
        for line in (
            f"Area: {profile.area}" if profile.area else "",
            f"Meets at: {profile.meeting_place}" if profile.meeting_place else "",
            profile.mission,
        )
        if line
    )
    members = [m for m in doc.members.all() if m.status != MemberStatus.LEFT.value]
    members.sort(key=lambda m: (m.name.lower(), m.id))
    households = sorted(doc.households.all(), key=lambda h: (h.name.lower(), h.id))
    sections = (
        _roster(members, households, sensitive),
        _contacts(members),
        _skills(doc, now),
        _pace(doc),
        _call_tree(doc, members),
        _rally_points(doc),
        _inventory(doc),
        _partners(doc),
        _events(doc, now),
    )
    return Binder(profile.name, about, Stamp(now, version, changes), sensitive, sections)


def _join(values: Any) -> str:
    return ", ".join(sorted(values))


def _roster(members: Sequence[Member], households: Sequence[Household], sensitive: bool) -> Section:
    names = {h.id: h.name for h in households}
    in_household: dict[str, list[str]] = {}
    for member in members:
        in_household.setdefault(member.household_id, []).append(member.name)
    house_headers = ("Household", "Zone", "People", "Members") + (("Address", "Special needs") if sensitive else ())
    house_rows = tuple(
        (h.name, h.zone, str(h.people), ", ".join(in_household.get(h.id, [])))
        + ((h.address, h.special_needs) if sensitive else ())
        for h in households
    )
    member_headers = ("Name", "Zone", "Household", "Level", "Roles", "Languages", "Status") + (
        ("Address", "Emergency contact", "Special needs", "Medical notes") if sensitive else ()
    )
    member_rows = tuple(
        (
            m.name,
            m.zone,
            names.get(m.household_id, ""),
            choice_label(m.level),
            _join(m.roles),
            _join(m.languages),
            choice_label(m.status),
        )
        + ((m.address, m.emergency_contact, m.special_needs, m.medical_notes) if sensitive else ())
        for m in members
    )
    return Section(
        "roster",
        "Roster and households",
        (
            Subheading(f"Households ({len(households)})"),
            Table(house_headers, house_rows),
            Subheading(f"Members ({len(members)})"),
            Table(member_headers, member_rows),
        ),
    )


def _phones(member: Member) -> str:
    return "; ".join(f"{label}: {number}" for label, number in member.phones.items())


def _contacts(members: Sequence[Member]) -> Section:
    shared = [m for m in members if m.consent_share]
    private = [m.name for m in members if not m.consent_share]
    rows = tuple((m.name, m.zone, _phones(m), m.email, m.callsign) for m in shared)
    blocks: list[Block] = [Table(("Name", "Zone", "Phones", "Email", "Radio callsign"), rows)]
    if private:
        blocks.append(
            Text(
                f"{len(private)} members have not agreed to share their contact details; "
                f"reach them through the core team: {', '.join(private)}."
            )
        )
    return Section("contacts", "Contacts", tuple(blocks))


def _skills(doc: GroupDocument, now: datetime) -> Section:
    matrix = group_skills(doc, today=now.date())
    rows: list[tuple[Cell, ...]] = []
    for skill in matrix.skills:
        cells: list[Cell] = [skill]
        for zone in matrix.zones:
            holders = matrix.holders(skill, zone)
            if matrix.is_gap(skill, zone):
                cells.append(Strong("GAP"))
                continue
            names = ", ".join(
                h.member.name + (f" (until {h.expires.isoformat()})" if h.expires else "") for h in holders
            )
            cells.append(Strong(f"AT RISK: {names}") if matrix.is_at_risk(skill, zone) else names)
        rows.append(tuple(cells))
    blocks: list[Block] = [
        Text("GAP: a needed skill nobody in the zone holds today. AT RISK: every holder's certificate lapses soon."),
        Table(("Skill", *matrix.zones), tuple(rows)),
    ]
    gap_rows = tuple(
        (zone, ", ".join(matrix.gaps(zone)) or "none", ", ".join(matrix.at_risk(zone)) or "none")
        for zone in matrix.zones
    )
    blocks += [Subheading("Gaps by zone"), Table(("Zone", "Missing", "At risk"), gap_rows)]
    who = {m.id: m.name for m in doc.members.all(include_archived=True)}
    cert_rows = tuple(
        (who.get(c.member_id, "?"), c.name, c.skill, c.expires.isoformat() if c.expires else "")
        for c in matrix.expiring
    )
    lapsed_rows = tuple(
        (who.get(c.member_id, "?"), c.name, c.skill, c.expires.isoformat() if c.expires else "") for c in matrix.expired
    )
    blocks += [
        Subheading("Certificates expiring soon"),
        Table(("Member", "Certificate", "Skill", "Expires"), cert_rows, empty="None in the next 60 days."),
        Subheading("Lapsed certificates (no longer count)"),
        Table(("Member", "Certificate", "Skill", "Expired"), lapsed_rows, empty="None."),
    ]
    return Section("skills", "Skills matrix", tuple(blocks))


_TIER_ORDER = {tier.value: i for i, tier in enumerate(PaceTier)}


def _pace(doc: GroupDocument) -> Section:
    channels = sorted(doc.channels.all(), key=lambda c: (_TIER_ORDER.get(c.tier, 9), c.name.lower()))
    rows = tuple(
        (
            choice_label(c.tier).upper(),
            c.name,
            c.details,
            " / ".join(part for part in (c.radio_channel, c.frequency) if part),
            c.phone,
            c.place,
            c.schedule,
            c.trigger,
        )
        for c in channels
    )
    headers = ("Tier", "Channel", "Details", "Radio channel / frequency", "Phone", "Place", "Monitored", "Switch when")
    text = Text("Primary, Alternate, Contingency, Emergency: move down a tier when the trigger is met.")
    return Section("pace", "PACE communication plan", (text, Table(headers, rows, empty="No channels set up yet.")))


def _call_tree(doc: GroupDocument, members: Sequence[Member]) -> Section:
    stored = doc.call_tree.all()
    blocks: list[Block] = []
    if stored:
        lines = calltree.tree_lines(members, stored)
    else:
        plan = calltree.plan_call_tree(members)
        lines = calltree.tree_lines(members, plan.links)
        blocks.append(Text("Not saved in the group yet: this is the tree magnet proposes from today's roster."))
    blocks.append(
        Text(
            "Call the people listed under you; each confirms back to the person shown. Can't reach someone? Call the people they would have called."
        )
    )
    rows = tuple(
        (
            "· " * line.depth + line.member.name + (" (set by hand)" if line.manual else ""),
            line.caller.name if line.caller else "starts the tree",
            line.confirms_to.name if line.confirms_to else "",
            _phones(line.member),
            line.member.zone,
        )
        for line in lines
    )
    blocks.append(Table(("Who", "Called by", "Confirms back to", "Phones", "Zone"), rows, empty="No call tree yet."))
    missing = calltree.not_in_tree(members, lines)
    if missing and lines:
        blocks.append(Text("Not in the tree yet (regenerate it): " + ", ".join(m.name for m in missing) + "."))
    private = [m.name for m in members if not calltree.in_call_tree(m) and not m.archived]
    if private:
        blocks.append(Text("Not in the tree (contact details not shared): " + ", ".join(private) + "."))
    return Section("calltree", "Call tree", tuple(blocks))


def _rally_points(doc: GroupDocument) -> Section:
    profile = doc.profile
    points = sorted(profile.rally_points.values(), key=lambda p: (p.get("order", 0), str(p.get("name", ""))))
    rows = tuple((str(p.get("name", "")), str(p.get("place", "")), str(p.get("notes", ""))) for p in points)
    blocks: list[Block] = [Table(("Rally point", "Where", "Notes"), rows, empty="No rally points set.")]
    if profile.meeting_place:
        blocks.append(Text(f"Regular meeting place: {profile.meeting_place}"))
    return Section("rally", "Rally points", tuple(blocks))


def _amount(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _inventory(doc: GroupDocument) -> Section:
    names = {m.id: m.name for m in doc.members.all(include_archived=True)}
    items = sorted(doc.inventory.all(), key=lambda i: (i.location.lower() or "~", i.name.lower()))
    rows = tuple(
        (
            i.location or "(not recorded)",
            i.name,
            f"{_amount(i.quantity)} {i.unit}".strip(),
            choice_label(i.category),
            names.get(i.holder_id, ""),
            choice_label(i.condition),
            i.expires.isoformat() if i.expires else "",
            "yes" if i.shareable else "no",
        )
        for i in items
    )
    headers = ("Location", "Item", "Quantity", "Category", "Held by", "Condition", "Expires", "Shareable")
    return Section("inventory", "Inventory by location", (Table(headers, rows),))


def _partners(doc: GroupDocument) -> Section:
    partners = sorted(doc.partners.all(), key=lambda p: p.name.lower())
    rows = tuple(
        (
            p.name,
            choice_label(p.kind),
            p.contact_name,
            p.phone,
            p.email,
            _join(p.offers),
            p.agreements,
            p.last_contact.isoformat() if p.last_contact else "",
        )
        for p in partners
    )
    headers = ("Organisation", "Kind", "Contact", "Phone", "Email", "Offers", "Agreements", "Last contact")
    return Section("partners", "Partners", (Table(headers, rows),))


def _events(doc: GroupDocument, now: datetime) -> Section:
    events = upcoming_events(doc.events.all(), now=now, days=UPCOMING_DAYS, limit=UPCOMING_LIMIT)
    rows = tuple(
        (
            e.starts.strftime("%a %Y-%m-%d %H:%M") if e.starts else "",
            e.name,
            choice_label(e.kind),
            e.place or e.virtual_link,
            e.agenda,
        )
        for e in events
    )
    table = Table(("When", "Event", "Kind", "Where", "Agenda"), rows, empty="Nothing planned in the next 90 days.")
    return Section("events", f"Upcoming events (next {UPCOMING_DAYS} days)", (table,))
