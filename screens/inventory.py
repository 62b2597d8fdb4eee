"""Inventory: supplies by category and location, quick +/- adjustments, loans, warnings, days on hand."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.binding import Binding, BindingType
from textual.widgets import ContentSwitcher, Static

from magnet.errors import MagnetError
from magnet.fields import FieldKind, FieldSpec, choice_label, parse_number
from magnet.readiness import days_on_hand, expiring_items, headcount, open_loans
from magnet.records import InventoryItem, Loan
from screens.listing import RecordListScreen
from screens.widgets.modals import ConfirmModal, PickModal, PromptModal
from screens.widgets.record_table import Column, RecordTable, field_column

AMOUNT = FieldSpec(FieldKind.NUMBER, "Amount", name="amount")
LOAN_FIELDS = ("item_id", "member_id", "quantity", "lent_on", "due_back", "notes")


@dataclass(frozen=True)
class Stock:
    items: list[InventoryItem]
    loans: list[Loan]
    names: dict[str, str]
    people: int
    water_days: float | None
    food_days: float | None
    expiring: frozenset[str]
    out: dict[str, float] = field(default_factory=dict)
    today: date = field(default_factory=date.today)


def _days(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


class InventoryScreen(RecordListScreen[InventoryItem]):
    AREA = "inventory"
    TITLE_TEXT = "Inventory"
    HELP = (
        "The group's supplies. + and - add or take one, = adjusts by any amount: adjustments from "
        "several devices at once all add up. l lends the item to a member, r records its return; "
        "t shows every loan. A loan leaves the count alone (the item is still the group's) and shows "
        "as 'out'. Search: cat:water loc:garage is:low is:expiring is:out. f picks a filter."
    )
    RECORD_TYPE = InventoryItem
    SORT = "name"
    WATCHES: ClassVar[frozenset[str] | None] = frozenset({"inventory", "loans", "members", "households"})
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("plus", "adjust(1)", "±1"),
        Binding("minus", "adjust(-1)", "Take one", show=False),
        Binding("equals_sign", "adjust_by", "By…"),
        Binding("l", "lend", "Lend"),
        Binding("r", "give_back", "Return"),
        Binding("t", "switch", "Loans"),
        Binding("f", "filter", "Filter"),
    ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.stock = Stock([], [], {}, 0, None, None, frozenset())

    # ---- the item list -----------------------------------------------------------------------

    def _states(self, item: InventoryItem) -> set[str]:
        states = set()
        if item.minimum > 0 and item.quantity < item.minimum:
            states.add("low")
        if item.id in self.stock.expiring:
            states.add("expiring")
            if item.expires is not None and item.expires < self.stock.today:
                states.add("expired")
        if self.stock.out.get(item.id):
            states.add("out")
        return states

    def _flags(self, item: InventoryItem) -> Text:
        text = Text()
        if item.minimum > 0 and item.quantity < item.minimum:
            text.append("LOW ", style="bold red")
        if item.id in self.stock.expiring:
            expired = item.expires is not None and item.expires < self.stock.today
            text.append("EXPIRED " if expired else "EXP ", style="bold red" if expired else "yellow")
        out = self.stock.out.get(item.id)
        if out:
            text.append(f"out {out:g}", style="cyan")
        return text

    def columns(self) -> Sequence[Column[InventoryItem]]:
        return [
            field_column(InventoryItem, "name", width=20),
            Column(
                "quantity",
                "Qty",
                lambda i: f"{i.quantity:g} {i.unit}".strip(),
                lambda i: i.quantity,
                width=9,
            ),
            Column("flags", "!", self._flags, lambda i: self._flags(i).plain, width=8),
            Column("category", "Category", lambda i: choice_label(i.category), width=9),
            field_column(InventoryItem, "location", "Where", width=16),
            field_column(InventoryItem, "expires", width=10),
            Column("minimum", "Min", lambda i: f"{i.minimum:g}" if i.minimum else "", lambda i: i.minimum, width=4),
        ]

    def search_terms(self) -> Mapping[str, Callable[[InventoryItem, str], bool]]:
        def category(item: InventoryItem, wanted: str) -> bool:
            return choice_label(item.category).lower().startswith(wanted)

        def where(item: InventoryItem, wanted: str) -> bool:
            return wanted in item.location.lower()

        def state(item: InventoryItem, wanted: str) -> bool:
            return any(word.startswith(wanted) for word in self._states(item))

        return {"cat": category, "category": category, "loc": where, "location": where, "is": state}

    def haystack(self, record: InventoryItem) -> str:
        return f"{record.notes} {self.stock.names.get(record.holder_id, '')}"

    def compose_body(self) -> Iterator[Any]:
        yield Static("", classes="area-head", id="head")
        with ContentSwitcher(initial="records", id="stock-views"):
            yield RecordTable(
                self.columns(),
                search_terms=self.search_terms(),
                haystack=self.haystack,
                sort=self.SORT,
                placeholder="/ search · cat:water loc:garage is:low is:expiring is:out",
                id="records",
            )
            yield RecordTable(
                [
                    Column("item", "Item", lambda loan: self._item_name(loan.item_id), width=22),
                    Column("member", "Borrower", lambda loan: self.stock.names.get(loan.member_id, "?"), width=20),
                    Column("quantity", "Qty", lambda loan: f"{loan.quantity:g}", lambda loan: loan.quantity, width=5),
                    field_column(Loan, "lent_on", "Lent", width=10),
                    field_column(Loan, "due_back", "Due", width=10),
                    Column(
                        "returned",
                        "Back",
                        lambda loan: (
                            loan.returned_on.isoformat() if loan.returned_on else ("yes" if loan.returned else "")
                        ),
                        width=10,
                    ),
                ],
                search_terms={"open": lambda loan, _v: not loan.returned},
                sort="due_back",
                placeholder="/ search loans · open:",
                id="loans",
            )

    def _item_name(self, item_id: str) -> str:
        return next((i.name for i in self.stock.items if i.id == item_id), "?")

    @property
    def loans(self) -> RecordTable[Loan]:
        table: RecordTable[Loan] = self.query_one("#loans", RecordTable)
        return table

    @property
    def view(self) -> str:
        return self.query_one("#stock-views", ContentSwitcher).current or "records"

    # ---- data --------------------------------------------------------------------------------

    def load(self) -> Stock:  # type: ignore[override]
        doc = self.session.doc
        today = self.session.now().date()
        items = doc.inventory.all(include_archived=True)
        loans = doc.loans.all(include_archived=True)
        members = doc.members.all(include_archived=True)
        people = headcount(doc.households.all(), [m for m in members if not m.archived])
        out: dict[str, float] = {}
        for loan in open_loans(loans):
            out[loan.item_id] = out.get(loan.item_id, 0) + loan.quantity
        live = [i for i in items if not i.archived]
        return Stock(
            items,
            loans,
            {m.id: m.name for m in members},
            people,
            days_on_hand(live, "water", people, today=today),
            days_on_hand(live, "food", people, today=today),
            frozenset(i.id for i in expiring_items(live, today=today)),
            out,
            today,
        )

    def show(self, data: Stock) -> None:  # type: ignore[override]
        self.stock = data
        super().show(data.items)
        self.loans.set_rows(data.loans)
        live = [i for i in data.items if not i.archived]
        low = sum(1 for i in live if i.minimum > 0 and i.quantity < i.minimum)
        short = any(d is not None and d < 3 for d in (data.water_days, data.food_days))
        view = "[b reverse] Items [/] Loans " if self.view == "records" else " Items [b reverse] Loans [/]"
        head = self.query_one("#head", Static)
        head.update(
            f"{view} water [b]{_days(data.water_days)}[/] d · food [b]{_days(data.food_days)}[/] d "
            f"({data.people} people)\n[b]{low}[/] below minimum · [b]{len(data.expiring)}[/] expiring · "
            f"{len(open_loans(data.loans))} out on loan"
        )
        head.display = True
        head.set_class(short or low > 0, "alert")

    # ---- actions -----------------------------------------------------------------------------

    def focus_on(self, search: str) -> None:
        if self.view != "records":
            self.action_switch()  # a lead is about items, never loans
        super().focus_on(search)

    def action_switch(self) -> None:
        switcher = self.query_one("#stock-views", ContentSwitcher)
        switcher.current = "loans" if self.view == "records" else "records"
        self.show(self.stock)
        (self.loans if self.view == "loans" else self.records).table.focus()

    def _item(self) -> InventoryItem | None:
        if self.view == "loans":
            loan = self.loans.current
            return next((i for i in self.stock.items if loan and i.id == loan.item_id), None)
        return self.records.current

    def action_adjust(self, delta: float) -> None:
        item = self._item()
        if item is None:
            return
        inventory = self.session.doc.inventory
        self.write(
            lambda: inventory.adjust(item.id, "quantity", delta),
            lambda fresh: self.notify(f"{fresh.name}: {fresh.quantity:g} {fresh.unit}".rstrip(), timeout=2),
        )

    def action_adjust_by(self) -> None:
        item = self._item()
        if item is None:
            return

        def check(text: str) -> str | None:
            if not text.strip():
                return "type a number such as 5 or -2"
            try:
                parse_number(text, AMOUNT, "amount")
            except MagnetError as exc:
                return str(exc)
            return None

        def answered(text: str | None) -> None:
            if text and text.strip():
                self.action_adjust(float(text.replace(",", "")))

        self.app.push_screen(
            PromptModal(
                f"{item.name}: {item.quantity:g} {item.unit} on hand. Add (or take, with -):",
                placeholder="e.g. 12 or -3",
                check=check,
            ),
            answered,
        )

    def action_lend(self) -> None:
        item = self._item()
        if item is None:
            return
        self.open_form(
            Loan,
            fields=LOAN_FIELDS,
            defaults={"item_id": item.id, "quantity": 1, "lent_on": self.stock.today},
            title=f"Lend {item.name}",
        )

    def action_give_back(self) -> None:
        if self.view == "loans":
            loan = self.loans.current
            if loan is not None and not loan.returned:
                self._confirm_return(loan)
            return
        item = self.records.current
        if item is None:
            return
        loans = [loan for loan in open_loans(self.stock.loans) if loan.item_id == item.id]
        if not loans:
            self.notify(f"No open loans of {item.name}", timeout=3)
            return
        if len(loans) == 1:
            self._confirm_return(loans[0])
            return
        choices = [
            (f"{self.stock.names.get(loan.member_id, '?')} — {loan.quantity:g}, lent {loan.lent_on or '?'}", loan.id)
            for loan in loans
        ]

        def picked(loan_id: str | None) -> None:
            loan = next((candidate for candidate in loans if candidate.id == loan_id), None)
            if loan is not None:
                self._confirm_return(loan)

        self.app.push_screen(PickModal(f"Which loan of {item.name} came back?", choices), picked)

    def _confirm_return(self, loan: Loan) -> None:
        who = self.stock.names.get(loan.member_id, "?")
        loans = self.session.doc.loans
        today = self.stock.today

        def answered(yes: bool | None) -> None:
            if yes:
                self.write(lambda: loans.update(loan.id, returned=True, returned_on=today))

        self.app.push_screen(
            ConfirmModal(f"{who} returned {loan.quantity:g} × {self._item_name(loan.item_id)}?", yes="Returned"),
            answered,
        )

    def action_filter(self) -> None:
        live = [i for i in self.stock.items if not i.archived]
        categories = sorted({choice_label(i.category) for i in live})
        places = sorted({i.location for i in live if i.location})
        choices = [(f"category: {c}", f"cat:{c.replace(' ', '_')}") for c in categories]
        choices += [(f"location: {p}", f"loc:{p.lower().split()[0]}") for p in places]
        choices += [("below minimum", "is:low"), ("expiring soon", "is:exp"), ("out on loan", "is:out")]

        def picked(term: str | None) -> None:
            if term:
                search = self.records.search
                name = term.split(":")[0]
                kept = [w for w in search.value.split() if not w.startswith(f"{name}:")]
                search.value = " ".join([*kept, term.lower()])
                self.records.table.focus()

        self.app.push_screen(PickModal("Show only", choices), picked)

    @on(RecordTable.Chosen, "#loans")
    def _loan_chosen(self, event: RecordTable.Chosen) -> None:
        event.stop()
        if not event.row.returned:
            self._confirm_return(event.row)
