"""How ready the group is: welfare check-ins, upcoming events, supplies and skills, as plain queries.

Pure functions over records (no Textual, no I/O), so the dashboard, the check-in screen, a
printout and the tests all read the same answers. Every function takes `today`/`now` explicitly.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, TypeVar, cast

from magnet.document import GroupDocument
from magnet.records import (
    Announcement,
    Certification,
    CheckIn,
    Course,
    Event,
    Goal,
    Household,
    InventoryItem,
    Loan,
    Member,
    Partner,
    Welfare,
)

# Skills every group should have someone for, whatever courses it runs.
ESSENTIAL_SKILLS = ("first aid", "cpr", "radio", "search and rescue", "fire safety")
# Worst first: the order a block captain wants to see households in.
WELFARE_ORDER = {Welfare.NEEDS_HELP.value: 0, Welfare.UNKNOWN.value: 1, Welfare.SAFE.value: 2}
EXPIRY_WARNING_DAYS = 30
CERT_WARNING_DAYS = 60
UPCOMING_DAYS = 14
T = TypeVar("T")


def skill_key(name: str) -> str:
    """'First Aid ' -> 'first aid': how skills are compared."""
    return " ".join(name.lower().split())


# ---- welfare check-ins ----------------------------------------------------------------------


@dataclass(frozen=True)
class WelfareCounts:
    safe: int = 0
    needs_help: int = 0
    unknown: int = 0

    @property
    def total(self) -> int:
        return self.safe + self.needs_help + self.unknown


@dataclass(frozen=True)
class WelfareUnit:
    """A household (or a member who belongs to none) and its current welfare status."""

    id: str  # the household's id, or the member's id when `household` is None
    name: str
    zone: str
    people: int
    status: str
    report: CheckIn | None  # the report that decided the status (None: nobody reported)
    household: Household | None = None
    members: tuple[Member, ...] = ()

    @property
    def is_household(self) -> bool:
        return self.household is not None


@dataclass(frozen=True)
class LatestCheckIns:
    by_member: dict[str, CheckIn] = field(default_factory=dict)
    by_household: dict[str, CheckIn] = field(default_factory=dict)


def _when(checkin: CheckIn) -> datetime:
    return checkin.at or checkin.created_at or datetime.min


def _later(a: CheckIn, b: CheckIn) -> bool:
    """Is `a` newer than `b`? Ties go to the later-written record, then the id, so every device agrees."""
    return (_when(a), a.updated_at or datetime.min, a.id) > (_when(b), b.updated_at or datetime.min, b.id)


def latest_checkins(checkins: Iterable[CheckIn], *, since: datetime | None = None) -> LatestCheckIns:
    """The newest report per member and per household (reports before `since` do not count)."""
    latest = LatestCheckIns()
    for checkin in checkins:
        if checkin.archived or (since is not None and _when(checkin) < since):
            continue
        for key, table in ((checkin.member_id, latest.by_member), (checkin.household_id, latest.by_household)):
            if key and (key not in table or _later(checkin, table[key])):
                table[key] = checkin
    return latest


def _decide(reports: Sequence[CheckIn]) -> tuple[str, CheckIn | None]:
    """Needs help if any current report says so; otherwise the newest report's status."""
    if not reports:
        return Welfare.UNKNOWN.value, None
    newest = max(reports, key=lambda c: (_when(c), c.updated_at or datetime.min, c.id))
    helps = [c for c in reports if c.status == Welfare.NEEDS_HELP.value]
    if helps:
        return Welfare.NEEDS_HELP.value, max(helps, key=lambda c: (_when(c), c.id))
    status = newest.status if newest.status in WELFARE_ORDER else Welfare.UNKNOWN.value
    return status, newest


def welfare_units(
    households: Iterable[Household],
    members: Iterable[Member],
    checkins: Iterable[CheckIn],
    *,
    since: datetime | None = None,
) -> list[WelfareUnit]:
    """Every household (and every member in none) with its status, worst first.

    A household's own report (a block captain's sweep) covers everyone in it and supersedes
    older reports from its members; a member's report made after it still counts, and if any
    current report says "needs help" the household needs help.
    """
    latest = latest_checkins(checkins, since=since)
    active_members = [m for m in members if not m.archived]
    by_household: dict[str, list[Member]] = {}
    for member in active_members:
        by_household.setdefault(member.household_id, []).append(member)
    units: list[WelfareUnit] = []
    household_ids: set[str] = set()
    for household in households:
        if household.archived:
            continue
        household_ids.add(household.id)
        people = tuple(sorted(by_household.get(household.id, []), key=lambda m: m.name.lower()))
        own = latest.by_household.get(household.id)
        reports = [own] if own is not None else []
        for member in people:
            report = latest.by_member.get(member.id)
            if report is not None and report is not own and (own is None or _when(report) >= _when(own)):
                reports.append(report)
        status, report = _decide(reports)
        units.append(
            WelfareUnit(
                household.id,
                household.name,
                household.zone,
                household.people,
                status,
                report,
                household,
                people,
            )
        )
    for member in active_members:
        if member.household_id and member.household_id in household_ids:
            continue
        own_report = latest.by_member.get(member.id)
        status, report = _decide([own_report] if own_report is not None else [])
        units.append(WelfareUnit(member.id, member.name, member.zone, 1, status, report, None, (member,)))
    return sort_for_sweep(units)


def sort_for_sweep(units: Iterable[WelfareUnit]) -> list[WelfareUnit]:
    """Needs help first, then unknown, then safe; within each, by zone and name."""
    return sorted(units, key=lambda u: (WELFARE_ORDER.get(u.status, 1), u.zone.lower(), u.name.lower()))


def welfare_counts(units: Iterable[WelfareUnit]) -> WelfareCounts:
    counts = {status: 0 for status in WELFARE_ORDER}
    for unit in units:
        counts[unit.status if unit.status in counts else Welfare.UNKNOWN.value] += 1
    return WelfareCounts(
        safe=counts[Welfare.SAFE.value],
        needs_help=counts[Welfare.NEEDS_HELP.value],
        unknown=counts[Welfare.UNKNOWN.value],
    )


# ---- events ---------------------------------------------------------------------------------


def upcoming_events(
    events: Iterable[Event], *, now: datetime, days: int | None = UPCOMING_DAYS, limit: int | None = None
) -> list[Event]:
    """Events not cancelled that start from `now` on (within `days` when given), soonest first."""
    until = now + timedelta(days=days) if days is not None else None
    found = [
        e
        for e in events
        if not e.archived
        and not e.cancelled
        and e.starts is not None
        and e.starts >= now
        and (until is None or e.starts <= until)
    ]
    found.sort(key=lambda e: (e.starts or now, e.name.lower()))
    return found[:limit] if limit is not None else found


def past_events(events: Iterable[Event], *, now: datetime) -> list[Event]:
    """Events that started before `now`, most recent first."""
    found = [e for e in events if not e.archived and e.starts is not None and e.starts < now]
    found.sort(key=lambda e: e.starts or now, reverse=True)
    return found


def events_attended(events: Iterable[Event], member_id: str) -> list[Event]:
    """The events a member was marked present at, most recent first."""
    found = [e for e in events if not e.archived and member_id in e.attendance]
    found.sort(key=lambda e: e.starts or datetime.min, reverse=True)
    return found


# ---- supplies -------------------------------------------------------------------------------


def line_key(item: InventoryItem) -> tuple[str, str]:
    """Lots of one item: the same name and unit, however they were typed."""
    return (" ".join(item.name.lower().split()), item.unit.strip().lower())


def stock_lines(items: Iterable[InventoryItem]) -> list[list[InventoryItem]]:
    """What is not archived, as the stock sheet shows it: one line per item, with all its lots
    (the same water kept in three places is one line)."""
    grouped: dict[tuple[str, str], list[InventoryItem]] = {}
    for item in items:
        if not item.archived:
            grouped.setdefault(line_key(item), []).append(item)
    return list(grouped.values())


def is_low(item: InventoryItem) -> bool:
    """A lot with a minimum set and less than that on hand."""
    return item.minimum > 0 and item.quantity < item.minimum


def below_minimum(items: Iterable[InventoryItem]) -> list[list[InventoryItem]]:
    """Stock lines with a lot below its minimum, the emptiest (relative to its minimum) first."""
    return low_and_empty_lines(stock_lines(items))[0]


def out_of_stock(items: Iterable[InventoryItem]) -> list[list[InventoryItem]]:
    """Stock lines the group keeps and has none of, in all its places together."""
    return low_and_empty_lines(stock_lines(items))[1]


def low_and_empty_lines(
    lines: Iterable[list[InventoryItem]],
) -> tuple[list[list[InventoryItem]], list[list[InventoryItem]]]:
    """`below_minimum` and `out_of_stock` of lines already grouped, in one pass over the lots."""
    low: list[tuple[float, str, list[InventoryItem]]] = []
    empty: list[list[InventoryItem]] = []
    for lots in lines:
        total = 0.0
        worst: float | None = None
        for lot in lots:
            total += lot.quantity
            if is_low(lot) and (worst is None or lot.quantity / lot.minimum < worst):
                worst = lot.quantity / lot.minimum  # how far below
        if worst is not None:
            low.append((worst, lots[0].name.lower(), lots))
        if total <= 0:
            empty.append(lots)
    low.sort(key=lambda found: (found[0], found[1]))
    return [found[2] for found in low], empty


def expiring_items(
    items: Iterable[InventoryItem], *, today: date, days: int = EXPIRY_WARNING_DAYS
) -> list[InventoryItem]:
    """Items in stock that have expired or expire within `days`, soonest first."""
    until = today + timedelta(days=days)
    found = [i for i in items if not i.archived and i.expires is not None and i.expires <= until and i.quantity > 0]
    found.sort(key=lambda i: (i.expires or today, i.name.lower()))
    return found


def headcount(households: Iterable[Household], members: Iterable[Member]) -> int:
    """People the group's supplies must cover: each household's size, plus members in none."""
    active = [h for h in households if not h.archived]
    ids = {h.id for h in active}
    alone = sum(1 for m in members if not m.archived and m.household_id not in ids)
    return sum(max(h.people, 0) for h in active) + alone


# What one unit of water or food lasts one person when the item does not say (days_per_unit 0):
# a gallon of water a day (FEMA's figure), three meals a day.  Units nobody can read stay 0.
_USUAL_DAYS: dict[str, dict[str, float]] = {
    "water": {
        **dict.fromkeys(("gal", "gals", "gallon", "gallons"), 1.0),
        **dict.fromkeys(("l", "liter", "liters", "litre", "litres"), 1 / 3.785),
        **dict.fromkeys(("person-day", "person-days", "day", "days"), 1.0),
    },
    "food": {
        **dict.fromkeys(("meal", "meals", "mre", "mres", "serving", "servings"), 1 / 3),
        **dict.fromkeys(("person-day", "person-days", "day", "days", "ration day", "ration days"), 1.0),
    },
}


def days_per_unit(item: InventoryItem) -> float:
    """Person-days one unit covers: as recorded, else the usual figure for the unit, else 0."""
    if item.days_per_unit > 0:
        return item.days_per_unit
    return _USUAL_DAYS.get(item.category, {}).get(item.unit.strip().lower().rstrip("."), 0.0)


def person_days(items: Iterable[InventoryItem], category: str, *, today: date) -> float:
    """Person-days of one category on hand; expired stock does not count."""
    return sum(
        i.quantity * days_per_unit(i)
        for i in items
        if not i.archived and i.category == category and i.quantity > 0 and (i.expires is None or i.expires >= today)
    )


def days_on_hand(items: Iterable[InventoryItem], category: str, people: int, *, today: date) -> float | None:
    """How many days the group's stock of `category` lasts for `people` (None when nobody to count)."""
    if people <= 0:
        return None
    return person_days(items, category, today=today) / people


def open_loans(loans: Iterable[Loan]) -> list[Loan]:
    found = [loan for loan in loans if not loan.archived and not loan.returned]
    found.sort(key=lambda loan: (loan.due_back or date.max, loan.lent_on or date.min))
    return found


def is_overdue(loan: Loan, today: date) -> bool:
    """Still out after the day it was due back."""
    return not loan.archived and not loan.returned and loan.due_back is not None and loan.due_back < today


def overdue_loans(loans: Iterable[Loan], *, today: date) -> list[Loan]:
    """Loans still out past their due date, longest overdue first."""
    return [loan for loan in open_loans(loans) if is_overdue(loan, today)]


# ---- skills and certifications ---------------------------------------------------------------


def certifications_expiring(
    certifications: Iterable[Certification], *, today: date, days: int = CERT_WARNING_DAYS
) -> list[Certification]:
    """Certifications that have expired or expire within `days`, soonest first."""
    until = today + timedelta(days=days)
    found = [c for c in certifications if not c.archived and c.expires is not None and c.expires <= until]
    found.sort(key=lambda c: (c.expires or today, c.name.lower()))
    return found


def is_expired(certification: Certification, today: date) -> bool:
    return certification.expires is not None and certification.expires < today


def skill_holders(
    members: Iterable[Member], certifications: Iterable[Certification], *, today: date
) -> dict[str, set[str]]:
    """Skill -> ids of active members who count for it today.

    A member counts for a skill they list or hold a valid certification for, except when every
    certification they hold for that skill has expired: a lapsed certificate no longer counts.
    """
    active = {m.id: m for m in members if not m.archived and m.status == "active"}
    valid: dict[tuple[str, str], bool] = {}
    for cert in certifications:
        if cert.archived or cert.member_id not in active or not cert.skill.strip():
            continue
        key = (cert.member_id, skill_key(cert.skill))
        valid[key] = valid.get(key, False) or not is_expired(cert, today)
    holders: dict[str, set[str]] = {}
    for member in active.values():
        for skill in member.skills:
            name = skill_key(skill)
            if valid.get((member.id, name), True):
                holders.setdefault(name, set()).add(member.id)
    for (member_id, skill), ok in valid.items():
        if ok:
            holders.setdefault(skill, set()).add(member_id)
    return holders


@dataclass(frozen=True)
class SkillGap:
    skill: str
    holders: int  # members who count for it today
    lapsed: int  # members whose certification for it expired


def needed_skills(courses: Iterable[Course] = ()) -> list[str]:
    """The essential skills plus every skill a course the group runs gives."""
    skills = {skill_key(s) for s in ESSENTIAL_SKILLS}
    skills |= {skill_key(c.skill) for c in courses if not c.archived and c.skill.strip()}
    return sorted(skills)


def skill_gaps(
    members: Iterable[Member],
    certifications: Iterable[Certification],
    *,
    today: date,
    needed: Iterable[str],
    minimum: int = 1,
) -> list[SkillGap]:
    """Needed skills with fewer than `minimum` members who count for them, rarest first."""
    certs = list(certifications)
    holders = skill_holders(members, certs, today=today)
    lapsed: dict[str, set[str]] = {}
    for cert in certs:
        if not cert.archived and cert.skill.strip() and is_expired(cert, today):
            lapsed.setdefault(skill_key(cert.skill), set()).add(cert.member_id)
    gaps = []
    for skill in sorted({skill_key(s) for s in needed}):
        count = len(holders.get(skill, set()))
        if count < minimum:
            gaps.append(SkillGap(skill, count, len(lapsed.get(skill, set()) - holders.get(skill, set()))))
    gaps.sort(key=lambda g: (g.holders, g.skill))
    return gaps


# ---- everything at a glance ------------------------------------------------------------------


@dataclass(frozen=True)
class Readiness:
    """What the dashboard shows."""

    welfare: WelfareCounts
    upcoming: list[Event]
    low_stock: list[list[InventoryItem]]  # stock lines (an item's lots), as the Inventory counts them
    expiring: list[InventoryItem]
    certs_expiring: list[Certification]
    skill_gaps: list[SkillGap]
    water_days: float | None
    food_days: float | None
    people: int
    open_loans: int
    members: int
    households: int
    overdue_loans: list[Loan] = field(default_factory=list)
    out_of_stock: list[list[InventoryItem]] = field(default_factory=list)
    goals_behind: list[Goal] = field(default_factory=list)
    live_goals: int = 0
    pinned: Announcement | None = None  # the newest pinned announcement
    follow_ups: list[Partner] = field(default_factory=list)  # due within a week or overdue, soonest first


class ReadinessMemo:
    """Parts of the dashboard's answer kept until what they read changes (a screen keeps one).

    A part is keyed on the record lists it reads, by identity (the document hands out a new list
    for a collection whenever anything in it changed), and on the day it counts from, so a part
    is never older than its inputs. Check-ins and what is coming up are counted afresh every time:
    they change by the minute. At x10 an edit of one item redoes the supplies, not the rest.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._parts: dict[str, tuple[tuple[object, ...], Any]] = {}

    def part(self, name: str, inputs: tuple[object, ...], compute: Callable[[], T]) -> T:
        with self._lock:
            hit = self._parts.get(name)
        if hit is not None and len(hit[0]) == len(inputs) and all(map(_same_input, hit[0], inputs)):
            return cast(T, hit[1])
        value = compute()
        with self._lock:
            self._parts[name] = (inputs, value)
        return value


def _same_input(kept: object, now: object) -> bool:
    return kept is now if isinstance(now, list) else kept == now


def _fresh(_name: str, _inputs: tuple[object, ...], compute: Callable[[], T]) -> T:
    return compute()


def readiness(
    doc: GroupDocument, *, now: datetime, checkin_since: datetime | None = None, memo: ReadinessMemo | None = None
) -> Readiness:
    """Read the collections the dashboard needs and answer every question at once."""
    from magnet import goals, partnering  # they read the document too; imported when used

    part = memo.part if memo is not None else _fresh
    today = now.date()
    kept = {t: doc.read_collection(t) for t in (Member, Household, InventoryItem, Certification, Goal, Course)}
    members = doc.members.all()
    households = doc.households.all()
    units = welfare_units(households, members, doc.checkins.all(), since=checkin_since)
    people = part("people", (kept[Household], kept[Member]), lambda: headcount(households, members))

    def supplies() -> tuple[Any, ...]:
        items = doc.inventory.all()
        lines = stock_lines(items)  # once: low and empty count the same lines
        low, empty = low_and_empty_lines(lines)
        return (
            low,
            empty,
            expiring_items(items, today=today),
            days_on_hand(items, "water", people, today=today),
            days_on_hand(items, "food", people, today=today),
        )

    def skills() -> tuple[list[Certification], list[SkillGap]]:
        certs = doc.certifications.all()
        gaps = skill_gaps(members, certs, today=today, needed=needed_skills(doc.courses.all()))
        return certifications_expiring(certs, today=today), gaps

    def goal_counts() -> tuple[list[Goal], int]:
        all_goals = doc.goals.all()
        return [s.goal for s in goals.behind(all_goals, today)], sum(1 for g in all_goals if g.status in goals.LIVE)

    low, empty, expiring, water, food = part("supplies", (kept[InventoryItem], today, people), supplies)
    certs_expiring, gaps = part("skills", (kept[Member], kept[Certification], kept[Course], today), skills)
    behind, live = part("goals", (kept[Goal], today), goal_counts)
    loans = doc.loans.all()
    return Readiness(
        welfare=welfare_counts(units),
        upcoming=upcoming_events(doc.events.all(), now=now),
        low_stock=low,
        expiring=expiring,
        certs_expiring=certs_expiring,
        skill_gaps=gaps,
        water_days=water,
        food_days=food,
        people=people,
        open_loans=len(open_loans(loans)),
        members=len(members),
        households=len(households),
        overdue_loans=overdue_loans(loans, today=today),
        out_of_stock=empty,
        goals_behind=behind,
        live_goals=live,
        pinned=pinned_announcement(doc.announcements.all()),
        follow_ups=partnering.follow_ups_due(doc.partners.all(), today=today),
    )


def pinned_announcement(announcements: Iterable[Announcement]) -> Announcement | None:
    """The pinned announcement everyone should see, the newest when several are pinned."""
    pinned = [a for a in announcements if a.pinned and not a.archived]
    return max(pinned, key=lambda a: a.posted_at or a.created_at or datetime.min, default=None)
