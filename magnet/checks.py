"""Checks that know the group's domain: what a field's own spec cannot see.

A field spec knows that a quantity is a number; only the group knows that 500 gallons cannot be
lent from a stock of 41, that a meeting cannot end before it starts, or that "Captian" is not one
of its roles. These are pure functions of the document as it is and the values proposed for one
record; `Collection` calls `check_record` on every add, bulk add and update (so forms, the CLI
and spreadsheet imports all get them) and `check_entry` for sub-entries such as survey questions.

An update is checked only on what it changes and what depends on that: taking attendance at an
old event whose end was mistyped years ago must not fail because of the end.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from magnet.errors import ValidationError
from magnet.fields import split_list
from magnet.record import Record
from magnet.records import Certification, Event, Goal, Loan, Member, QuestionKind, Role, RoleKind, Survey
from magnet.values import choice_label

if TYPE_CHECKING:
    from magnet.document import GroupDocument

Values = Mapping[str, Any]
Check = Callable[["GroupDocument", "Change"], None]


def check_record(doc: GroupDocument, record_type: type[Record], proposed: Values, current: Record | None) -> None:
    """Raise a `ValidationError` naming the field when `proposed` would make an impossible record.

    `proposed` holds parsed values: every field of a new record (`current` None), or the fields an
    update changes.
    """
    check = _CHECKS.get(record_type.COLLECTION)
    if check is not None:
        check(doc, Change(record_type, proposed, current))


def check_entry(record_type: type[Record], field: str, entry: Values) -> None:
    """Raise when one sub-entry (a survey question) contradicts itself; `entry` is the whole entry."""
    if record_type.COLLECTION == Survey.COLLECTION and field == "questions":
        check_question(entry)


# ---- helpers ----------------------------------------------------------------------------------


class Change:
    """A record as it will be after the change, and which fields the change sets."""

    def __init__(self, record_type: type[Record], proposed: Values, current: Record | None) -> None:
        base = current.values() if current is not None else record_type().values()
        self.after: dict[str, Any] = {**base, **proposed}
        self.proposed = proposed
        self.current = current
        self.is_new = current is None

    def __getitem__(self, name: str) -> Any:
        return self.after.get(name)

    def touches(self, *names: str) -> bool:
        """Does the change set any of `names` (a new record sets everything)?"""
        return self.is_new or any(name in self.proposed for name in names)

    def given(self, name: str) -> bool:
        """Was `name` given (typed) in this change, as opposed to left at its default?"""
        return name in self.proposed


def _when(value: date | datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if isinstance(value, datetime) else value.isoformat()


def _not_before(change: Change, later: str, earlier: str, what: str) -> None:
    """`later` (when set) must not come before `earlier` (when set)."""
    if not change.touches(later, earlier):
        return
    end, start = change[later], change[earlier]
    if end is not None and start is not None and end < start:
        raise ValidationError(later, f"{_when(end)} is before {what} ({_when(start)})")


# ---- events ---------------------------------------------------------------------------------


def check_event(doc: GroupDocument, change: Change) -> None:
    """An event ends after it starts (no end at all is fine: nobody said)."""
    if not change.touches("starts", "ends"):
        return
    starts, ends = change["starts"], change["ends"]
    if starts is not None and ends is not None and ends <= starts:
        raise ValidationError("ends", f"{_when(ends)} is not after the start ({_when(starts)})")


# ---- loans ----------------------------------------------------------------------------------


def lent_out(doc: GroupDocument, item_id: str, *, besides: str = "") -> float:
    """How much of an item is out on open loans (other than the loan `besides`)."""
    return sum(
        loan.quantity
        for loan in doc.loans.all()
        if loan.item_id == item_id and not loan.returned and loan.id != besides
    )


def check_loan(doc: GroupDocument, change: Change) -> None:
    """A loan lends something real, no more than is on the shelf, and comes back after it left."""
    quantity = float(change["quantity"] or 0)
    if change.touches("quantity") and quantity <= 0:
        raise ValidationError("quantity", "a loan lends at least some of the item")
    _not_before(change, "due_back", "lent_on", "it was lent")
    _not_before(change, "returned_on", "lent_on", "it was lent")
    current = change.current
    reopened = change.given("returned") and not change["returned"] and bool(getattr(current, "returned", False))
    if not (change.touches("item_id", "quantity") or reopened) or change["returned"]:
        return  # a loan recorded after it came back takes nothing off the shelf
    item = doc.inventory.find(str(change["item_id"] or ""))
    if item is None or item.archived:
        raise ValidationError("item_id", "no such item in the inventory")
    if change.is_new and not item.shareable:
        raise ValidationError("item_id", f"{item.name} is not lent out (it is marked not shareable)")
    available = item.quantity - lent_out(doc, item.id, besides=current.id if current is not None else "")
    if quantity > available:
        unit = f" {item.unit}" if item.unit else ""
        raise ValidationError(
            "quantity", f"only {max(available, 0):g}{unit} of {item.name} on the shelf (asked for {quantity:g})"
        )


# ---- members: levels and roles from the group's list -----------------------------------------


def _role_key(name: str) -> str:
    from magnet.membership import role_key  # membership reads the document; imported when used

    return role_key(name)


def group_posts(doc: GroupDocument, kind: str) -> dict[str, str]:
    """The group's levels (or roles): key -> name, from its descriptions and what members hold now.

    Levels start with the four every group has; a level or role someone already holds counts even
    before anyone describes it (Plan › Membership shows those), so old data never blocks an edit.
    """
    found: dict[str, str] = {}
    if kind == RoleKind.LEVEL.value:
        found |= {choice: choice_label(choice) for choice in Member.spec("level").choices}
    for role in doc.roles.all():
        if role.kind == kind:
            found.setdefault(_role_key(role.name), role.name)
    for member in doc.members.all():
        names = [member.level] if kind == RoleKind.LEVEL.value else sorted(member.roles)
        for name in names:
            if name.strip():
                found.setdefault(_role_key(name), choice_label(name))
    return found


_SHEET = ContextVar("magnet_checks_sheet", default=False)


@contextmanager
def from_a_spreadsheet() -> Iterator[None]:
    """Records brought in from a file keep the levels and roles the file names.

    A roster moved from a spreadsheet into a new group holds the group's levels and roles as they
    were; importing it is the deliberate act that adds them (Plan › Membership then lists those
    nobody has described yet). Every other check still applies.
    """
    token = _SHEET.set(True)
    try:
        yield
    finally:
        _SHEET.reset(token)


def _refuse_unknown(doc: GroupDocument, kind: str, field: str, names: list[str]) -> None:
    known = group_posts(doc, kind)
    for name in names:
        if name.strip() and _role_key(name) not in known:
            listed = ", ".join(sorted(known.values(), key=str.lower)) or "none yet"
            raise ValidationError(
                field,
                f"{name!r} is not one of the group's {kind}s ({listed}); "
                f"to add a {kind}, describe it under Plan › Membership first",
            )


def check_member(doc: GroupDocument, change: Change) -> None:
    """A level or role is one the group has: a typo must not quietly become a new one."""
    if _SHEET.get():
        return
    if change.given("level"):
        _refuse_unknown(doc, RoleKind.LEVEL.value, "level", [str(change["level"])])
    if change.given("roles"):
        had = frozenset(getattr(change.current, "roles", frozenset()))
        _refuse_unknown(doc, RoleKind.ROLE.value, "roles", sorted(set(change["roles"]) - had))


def check_role(doc: GroupDocument, change: Change) -> None:
    """Describing a level or role twice under one name would split its holders."""
    if not change.touches("name", "kind"):
        return
    key, kind = _role_key(str(change["name"] or "")), str(change["kind"] or "")
    itself = change.current.id if change.current is not None else ""
    for role in doc.roles.all():
        if role.kind == kind and _role_key(role.name) == key and role.id != itself:
            raise ValidationError("name", f"the group already describes the {kind} {role.name!r}")


# ---- surveys ----------------------------------------------------------------------------------


def _is_range(options: str) -> bool:
    """'1-5', '0 to 10', '1,2,3,4,5': numbers only (a scale's points), at least two different."""
    if re.search(r"[^\d\s,;\-–to]", options.lower()):
        return False
    numbers = [int(n) for n in re.findall(r"\d+", options)]
    return len(numbers) >= 2 and min(numbers) < max(numbers)


def check_question(entry: Values) -> None:
    """A question's kind and options agree: choices need something to choose, a scale needs none."""
    kind = str(entry.get("kind") or QuestionKind.TEXT.value)
    options = str(entry.get("options") or "").strip()
    name = "questions.options"
    if kind in (QuestionKind.CHOICE.value, QuestionKind.MULTI.value):
        if len(set(split_list(options))) < 2:
            raise ValidationError(name, f"a {choice_label(kind)} question needs at least two options, comma separated")
    elif kind == QuestionKind.SCALE.value:
        if options and not _is_range(options):
            raise ValidationError(
                name, f"a scale question has no options (at most its range, like 1-5); {options!r} are choices"
            )
    elif options:
        what = "yes/no" if kind == QuestionKind.YES_NO.value else choice_label(kind)
        raise ValidationError(name, f"a {what} question has no options")


def check_survey(doc: GroupDocument, change: Change) -> None:
    if change.given("questions"):
        for entry in dict(change["questions"] or {}).values():
            check_question(entry)


# ---- goals and certificates --------------------------------------------------------------------


def check_goal(doc: GroupDocument, change: Change) -> None:
    """A target is above 0, and a goal that counts something has one."""
    target = float(change["target"] or 0)
    if target > 0 or not change.touches("target", "measure"):
        return
    measure = str(change["measure"] or "").strip()
    if measure:
        raise ValidationError("target", f"must be above 0: how many {measure} is the goal?")
    if change.is_new and change.given("target"):
        raise ValidationError("target", "must be above 0 (leave it empty to measure by milestones)")


def check_certification(doc: GroupDocument, change: Change) -> None:
    _not_before(change, "expires", "issued", "it was issued")


_CHECKS: dict[str, Check] = {
    Event.COLLECTION: check_event,
    Loan.COLLECTION: check_loan,
    Member.COLLECTION: check_member,
    Role.COLLECTION: check_role,
    Survey.COLLECTION: check_survey,
    Goal.COLLECTION: check_goal,
    Certification.COLLECTION: check_certification,
}

__all__ = ["check_entry", "check_question", "check_record", "from_a_spreadsheet", "group_posts", "lent_out"]
