"""Partners: organisations the group works with, follow-ups due first, and which of them could meet each need.

c records that someone spoke to the highlighted partner today and asks when to follow up next.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, ClassVar

from rich.text import Text
from textual import work
from textual.binding import Binding, BindingType

from magnet.partnering import NeedSupport, follow_ups_due, out_of_touch, record_contact, support_for_needs
from magnet.plural import counted
from magnet.records import Partner
from screens.markup import escape
from screens.planning.ask import ask_date
from screens.planning.needs import priority_text
from screens.planning.tabs import TabbedPage
from screens.widgets.modals import InfoModal
from screens.widgets.record_table import Column, RecordTable, field_column

PARTNER_FIELDS = tuple(Partner.specs())  # the whole record: a partner has nothing private


@dataclass(frozen=True)
class PartnersData:
    partners: list[Partner]
    support: list[NeedSupport]
    today: date
    due: set[str] = field(default_factory=set)
    silent: set[str] = field(default_factory=set)


class PartnersScreen(TabbedPage[PartnersData]):
    TITLE_TEXT = "Partners"
    HELP = (
        "Local businesses, agencies and organisations: follow-ups due come first (red when "
        "overdue), partners nobody has contacted for 90 days are marked. c records a contact "
        "today and the next follow-up. The second list shows, for each need, the partners whose "
        "offers fit it."
    )
    TABS = (("partners", "Partners"), ("support", "Needs and offers"))
    WATCHES: ClassVar[frozenset[str] | None] = frozenset({"partners", "needs"})
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "add", "Add"),
        Binding("e", "edit", "Edit"),
        Binding("c", "contact", "Contacted"),
        Binding("x", "archive", "Archive"),
    ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.data = PartnersData([], [], date.today())

    def make_table(self, tab: str) -> RecordTable[Any]:
        if tab == "partners":
            return RecordTable(
                [
                    field_column(Partner, "name", width=20),
                    field_column(Partner, "kind", width=10),
                    Column("last", "Last contact", self._last, lambda p: p.last_contact or date.min, width=12),
                    Column("follow", "Follow up", self._follow, lambda p: p.follow_up or date.max, width=10),
                ],
                sort="follow",
                haystack=lambda p: " ".join([*p.offers, p.contact_name, p.agreements, p.notes]),
                id="partners",
            )
        return RecordTable(
            [
                Column("need", "Need", lambda s: s.need.name, width=22),
                Column("priority", "Priority", lambda s: priority_text(s.need.priority), width=8),
                Column("who", "Who could help", self._helpers, lambda s: -len(s.partners), width=26),
            ],
            key=lambda s: s.need.id,
            is_archived=None,
            id="support",
        )

    def _last(self, partner: Partner) -> Text:
        text = partner.last_contact.isoformat() if partner.last_contact else "never"
        return Text(text, style="yellow" if partner.id in self.data.silent else "")

    def _follow(self, partner: Partner) -> Text:
        if partner.follow_up is None:
            return Text("")
        overdue = partner.follow_up < self.data.today
        style = "bold white on red" if overdue else "bold yellow" if partner.id in self.data.due else ""
        return Text(partner.follow_up.isoformat(), style=style)

    @staticmethod
    def _helpers(support: NeedSupport) -> Text:
        if not support.partners:
            return Text("nobody yet", style="italic dim")
        return Text(", ".join(p.name for p, _ in support.partners))

    # ---- data --------------------------------------------------------------------------------

    def load(self) -> PartnersData:
        doc = self.session.doc
        today = self.session.now().date()
        partners = doc.partners.all(include_archived=True)
        return PartnersData(
            partners,
            support_for_needs(doc.needs.all(), partners),
            today,
            {p.id for p in follow_ups_due(partners, today=today)},
            {p.id for p in out_of_touch(partners, today=today)},
        )

    def show(self, data: PartnersData) -> None:
        self.data = data
        overdue = sum(1 for p in data.partners if p.id in data.due and p.follow_up and p.follow_up < data.today)
        alert = f"[b red]{overdue} overdue[/] · " if overdue else ""
        note = f"{alert}{counted(len(data.due), 'follow-up')} due · {len(data.silent)} not contacted for 90 days"
        self.fill({"partners": data.partners, "support": data.support}, note)

    # ---- actions -----------------------------------------------------------------------------

    def action_add(self) -> None:
        self.open_form(Partner, fields=PARTNER_FIELDS, then=self.select_later)

    def action_edit(self) -> None:
        if isinstance(self.current, Partner):
            self.open_form(Partner, self.current, fields=PARTNER_FIELDS)

    def action_archive(self) -> None:
        if isinstance(self.current, Partner):
            self.confirm_archive(self.current)

    @work(exclusive=True, group="partners-ask")
    async def action_contact(self) -> None:
        partner = self.current
        if not isinstance(partner, Partner):
            return
        answer = await ask_date(self.app, f"Spoke to {partner.name} today. Follow up by (empty for no follow-up)?")
        if answer is None:
            return
        doc = self.session.doc
        today = self.session.now().date()
        self.write(lambda: record_contact(doc, partner.id, on=today, follow_up=answer.value))

    def on_record_table_chosen(self, event: RecordTable.Chosen) -> None:
        event.stop()
        row = event.row
        if isinstance(row, Partner):
            self.open_detail(row, fields=PARTNER_FIELDS, related=partner_fits)
        elif isinstance(row, NeedSupport):
            lines = [escape(row.need.description)] if row.need.description else []
            for partner, offers in row.partners:
                contact = " · ".join(x for x in (partner.contact_name, partner.phone) if x)
                lines.append(f"[b]{escape(partner.name)}[/] {escape(contact)}")
                lines.append(f"  offers {escape(', '.join(offers))}")
            if not row.partners:
                lines.append("No partner offers anything that fits yet.")
            self.app.push_screen(InfoModal(f"Who could help: {row.need.name}", "\n".join(lines), markup=True))


def partner_fits(doc: Any, partner: Partner) -> list[str]:
    """The needs a partner's offers fit, for its details."""
    fits = [s.need.name for s in support_for_needs(doc.needs.all(), [partner]) if s.partners]
    if not fits:
        return ["[dim]Its offers fit none of the group's needs yet.[/]"]
    return ["[b]Could help with[/] " + escape(", ".join(fits))]
