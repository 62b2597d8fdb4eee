"""Roster: members and households; filter by skill, zone, level, language; member details."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from textual import on, work
from textual.binding import Binding, BindingType
from textual.widgets import ContentSwitcher, Static

from magnet.readiness import skill_key
from magnet.record import Record
from magnet.records import Household, Member
from magnet.values import choice_label
from screens.base import AreaScreen
from screens.widgets.modals import PickModal
from screens.widgets.record_table import Column, RecordTable, field_column

FILTERS = ("skill", "zone", "level", "language", "role", "status")


@dataclass(frozen=True)
class RosterData:
    members: list[Member]
    households: list[Household]
    household_names: dict[str, str] = field(default_factory=dict)
    household_size: dict[str, int] = field(default_factory=dict)


def _has(values: Sequence[str] | frozenset[str] | dict[str, str], wanted: str) -> bool:
    return any(wanted in skill_key(v) for v in values)


MEMBER_TERMS: dict[str, Callable[[Member, str], bool]] = {
    "skill": lambda m, v: _has(m.skills, v),
    "zone": lambda m, v: m.zone.lower() == v,
    "level": lambda m, v: v in choice_label(m.level).lower(),
    "language": lambda m, v: _has(m.languages, v),
    "lang": lambda m, v: _has(m.languages, v),
    "role": lambda m, v: _has(m.roles, v),
    "status": lambda m, v: m.status.startswith(v),
}
HOUSEHOLD_TERMS: dict[str, Callable[[Household, str], bool]] = {"zone": lambda h, v: h.zone.lower() == v}


def filter_values(members: Sequence[Member], name: str) -> list[str]:
    """The values a filter can take, as found in the roster."""
    found: set[str] = set()
    for m in members:
        if m.archived:
            continue
        if name == "skill":
            found |= {skill_key(s) for s in m.skills}
        elif name == "zone" and m.zone:
            found.add(m.zone)
        elif name == "level":
            found.add(choice_label(m.level))
        elif name == "language":
            found |= {v.lower() for v in m.languages}
        elif name == "role":
            found |= {v.lower() for v in m.roles}
        elif name == "status":
            found.add(m.status)
    return sorted(found, key=str.lower)


class RosterScreen(AreaScreen[RosterData]):
    AREA = "roster"
    TITLE_TEXT = "Roster"
    HELP = (
        "Members and households. t switches between them. Search with / — plain words, or "
        "skill:radio zone:B level:core language:spanish role:captain; f builds a filter for you. "
        "Enter opens a member's details (skills, certifications, events attended); private fields "
        "(address, medical notes) stay hidden until you ask with p there or ctrl+r in a form."
    )
    WATCHES: ClassVar[frozenset[str] | None] = frozenset({"members", "households"})
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "add", "Add"),
        Binding("e", "edit", "Edit"),
        Binding("x", "archive", "Archive"),
        Binding("f", "filter", "Filter"),
        Binding("t", "switch", "Households"),
    ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.data = RosterData([], [])
        self.focus_key: str | None = None

    def compose_body(self) -> Iterator[Any]:
        yield Static("", classes="area-head", id="head")
        with ContentSwitcher(initial="members", id="roster-views"):
            yield RecordTable(
                [
                    field_column(Member, "name", width=20),
                    field_column(Member, "zone", "Zone", width=4),
                    Column("level", "Level", lambda m: choice_label(m.level), width=13),
                    field_column(Member, "skills", width=36),
                ],
                search_terms=MEMBER_TERMS,
                haystack=lambda m: " ".join([*m.languages, *m.roles, m.email, m.callsign, m.status]),
                sort="name",
                placeholder="/ search · skill:radio zone:B level:core language:spanish",
                id="members",
            )
            yield RecordTable(
                [
                    field_column(Household, "name", width=24),
                    field_column(Household, "zone", "Zone", width=5),
                    field_column(Household, "people", width=6),
                    Column("members", "Members", lambda h: str(self.data.household_size.get(h.id, 0)), width=7),
                    field_column(Household, "pets", width=12),
                ],
                search_terms=HOUSEHOLD_TERMS,
                sort="name",
                placeholder="/ search · zone:B",
                id="households",
            )

    @property
    def view(self) -> str:
        return self.query_one("#roster-views", ContentSwitcher).current or "members"

    @property
    def members(self) -> RecordTable[Member]:
        table: RecordTable[Member] = self.query_one("#members", RecordTable)
        return table

    @property
    def households(self) -> RecordTable[Household]:
        table: RecordTable[Household] = self.query_one("#households", RecordTable)
        return table

    def _table(self) -> RecordTable[Any]:
        return self.members if self.view == "members" else self.households

    # ---- data --------------------------------------------------------------------------------

    def load(self) -> RosterData:
        doc = self.session.doc
        members = doc.members.all(include_archived=True)
        households = doc.households.all(include_archived=True)
        size: dict[str, int] = {}
        for m in members:
            if not m.archived and m.household_id:
                size[m.household_id] = size.get(m.household_id, 0) + 1
        return RosterData(members, households, {h.id: h.name for h in households}, size)

    def show(self, data: RosterData) -> None:
        self.data = data
        # What the cells read beyond the row (see RecordTable.context): a member's, nothing else;
        # a household's, how many members it has.
        self.members.context = ()
        self.households.context = data.household_size
        self.members.set_rows(data.members)
        self.households.set_rows(data.households)
        self._headline()
        if self.focus_key and self._table().select(self.focus_key):
            self.focus_key = None

    def _headline(self) -> None:
        live_members = sum(1 for m in self.data.members if not m.archived)
        live_households = sum(1 for h in self.data.households if not h.archived)
        tabs = {
            "members": f"[b reverse] Members {live_members} [/] Households {live_households}",
            "households": f"Members {live_members} [b reverse] Households {live_households} [/]",
        }[self.view]
        self.query_one("#head", Static).update(tabs + "   [dim]t switches[/]")

    def _select_later(self, record: Record) -> None:
        self.focus_key = record.id
        if self._table().select(record.id):
            self.focus_key = None

    # ---- actions -----------------------------------------------------------------------------

    def show_tab(self, tab: str) -> None:
        """Show the members or the households (how the palette and the dashboard lead here)."""
        if tab != self.view:
            self.action_switch()

    def action_switch(self) -> None:
        switcher = self.query_one("#roster-views", ContentSwitcher)
        switcher.current = "households" if self.view == "members" else "members"
        self._headline()
        self._table().table.focus()

    def action_add(self) -> None:
        if self.view == "members":
            self.open_form(Member, then=self._select_later)
        else:
            self.open_form(Household, then=self._select_later)

    def action_edit(self) -> None:
        record = self._table().current
        if isinstance(record, Member):
            self.open_form(Member, record)
        elif isinstance(record, Household):
            self.open_form(Household, record)

    def action_archive(self) -> None:
        record = self._table().current
        if isinstance(record, Member | Household):
            self.confirm_archive(record)

    @work(exclusive=True, group="roster-filter")
    async def action_filter(self) -> None:
        if self.view != "members":
            self.households.search.focus()
            return
        name = await self.app.push_screen_wait(PickModal("Filter members by", [(f, f) for f in FILTERS]))
        if not name:
            return
        values = filter_values(self.data.members, name)
        if not values:
            self.notify(f"Nobody has a {name} recorded yet")
            return
        value = await self.app.push_screen_wait(PickModal(f"Which {name}?", [(v, v) for v in values]))
        if not value:
            return
        term = f"{name}:{value.lower().replace(' ', '_')}"
        search = self.members.search
        kept = [w for w in search.value.split() if not w.startswith(f"{name}:")]
        search.value = " ".join([*kept, term])
        self.members.table.focus()

    @on(RecordTable.Chosen, "#members")
    def _member_chosen(self, event: RecordTable.Chosen) -> None:
        from screens.member_detail import MemberDetail

        event.stop()
        self.app.push_screen(MemberDetail(self.session, event.row.id))

    @on(RecordTable.Chosen, "#households")
    def _household_chosen(self, event: RecordTable.Chosen) -> None:
        event.stop()
        self.open_detail(event.row, related=household_members)


def household_members(doc: Any, household: Any) -> list[str]:
    """Who lives there, for the household's details."""
    from screens.markup import escape

    living = sorted((m for m in doc.members.all() if m.household_id == household.id), key=lambda m: m.name.lower())
    if not living:
        return ["[dim]No member lives here (the household counts its people anyway).[/]"]
    return [f"[b]Members ({len(living)})[/] " + escape(", ".join(m.name for m in living))]
