"""Inventory as a stock sheet: one line per item with its total, where it is kept and who holds it.

The same item kept in eight places (the sample's AA batteries) is one line with its total and its
places; Enter (or space) opens it to show each lot, and + - = l r e x on the line ask which lot
when there are several. Flags say what needs doing: LOW (under its minimum), NONE (nothing left,
minimum or not), EXP/EXPIRED, out on loan, and OVERDUE when a loan is past its due date.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.binding import Binding, BindingType
from textual.widgets import ContentSwitcher, Static

from magnet.errors import MagnetError
from magnet.fields import FieldSpec, parse_number
from magnet.plural import counted
from magnet.readiness import days_on_hand, expiring_items, headcount, is_low, is_overdue, line_key, open_loans
from magnet.records import InventoryItem, Loan
from magnet.values import FieldKind, choice_label
from screens.base import AreaScreen
from screens.widgets.modals import ConfirmModal, PickModal, PromptModal
from screens.widgets.record_table import Column, RecordTable, cell_text

AMOUNT = FieldSpec(FieldKind.NUMBER, "Amount", name="amount")
LOAN_FIELDS = ("item_id", "member_id", "quantity", "lent_on", "due_back", "notes")
ITEM_FIELDS = tuple(InventoryItem.specs())


@dataclass(frozen=True)
class ItemLine:
    """One line of the stock sheet: an item (all its lots), or one lot shown under it."""

    lots: tuple[InventoryItem, ...]
    is_lot: bool = False
    # Worked out once when the line is made: a sheet of thousands of lines asks for them often.
    id: str = field(init=False, compare=False)
    quantity: float = field(init=False, compare=False)
    archived: bool = field(init=False, compare=False)
    lot_lines: tuple[ItemLine, ...] = field(init=False, compare=False, repr=False)  # one per lot, when several

    def __post_init__(self) -> None:
        lots, single = self.lots, self.is_lot or len(self.lots) == 1
        # A single lot's line is keyed by the item's id, so it is found the same way either way.
        key = lots[0].id if single else "item:{}:{}".format(*line_key(lots[0]))
        object.__setattr__(self, "id", key)
        object.__setattr__(self, "quantity", sum(lot.quantity for lot in lots if not lot.archived or self.is_lot))
        object.__setattr__(self, "archived", all(lot.archived for lot in lots))
        several = len(lots) > 1 and not self.is_lot
        object.__setattr__(self, "lot_lines", tuple(ItemLine((lot,), is_lot=True) for lot in lots) if several else ())

    @property
    def item(self) -> InventoryItem | None:
        """The lot this line is about, when it is about one."""
        return self.lots[0] if len(self.lots) == 1 else None

    @property
    def name(self) -> str:
        return self.lots[0].name

    @property
    def unit(self) -> str:
        return self.lots[0].unit

    @property
    def category(self) -> str:
        return self.lots[0].category

    @property
    def live(self) -> list[InventoryItem]:
        return [lot for lot in self.lots if not lot.archived] or list(self.lots)


def stock_lines(items: Sequence[InventoryItem], memo: LineMemo | None = None) -> list[ItemLine]:
    """Items grouped into lines: every lot of one item (name and unit) on one line."""
    return (memo or LineMemo()).lines(items)


class LineMemo:
    """Stock lines kept from one load to the next, changed only where the items changed.

    The document keeps the very same record objects for items a change did not touch, so an
    item that is the same object as last time is in the same line as last time: one remote edit
    re-makes one line, not the thousands of a large group's sheet. Loads run on worker threads
    (a cancelled one may still be running), so one at a time holds the memo.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: dict[str, InventoryItem] = {}  # id -> the item as last seen
        self._key_of: dict[str, tuple[str, str]] = {}  # id -> the key of its line
        self._groups: dict[tuple[str, str], dict[str, InventoryItem]] = {}  # key -> its lots by id
        self._lines: dict[tuple[str, str], ItemLine] = {}

    def lines(self, items: Sequence[InventoryItem]) -> list[ItemLine]:
        with self._lock:
            seen: dict[str, InventoryItem] = {}
            touched: set[tuple[str, str]] = set()
            for item in items:
                seen[item.id] = item
                if self._items.get(item.id) is not item:
                    touched |= self._place(item)
            if len(seen) != len(self._items) or touched:
                for gone in self._items.keys() - seen.keys():
                    touched.add(self._unplace(gone))
            self._items = seen
            for key in touched:
                lots = self._groups.get(key)
                if not lots:
                    self._groups.pop(key, None)
                    self._lines.pop(key, None)
                else:
                    self._lines[key] = ItemLine(
                        tuple(sorted(lots.values(), key=lambda i: (i.archived, i.location.lower(), i.id)))
                    )
            return list(self._lines.values())

    def _place(self, item: InventoryItem) -> set[tuple[str, str]]:
        """Put a new or changed item in its line; the keys of the lines that changed."""
        keys = {self._unplace(item.id)} if item.id in self._key_of else set()
        key = line_key(item)
        self._key_of[item.id] = key
        self._groups.setdefault(key, {})[item.id] = item
        return keys | {key}

    def _unplace(self, item_id: str) -> tuple[str, str]:
        key = self._key_of.pop(item_id)
        self._groups.get(key, {}).pop(item_id, None)
        return key


def lots_of(line: ItemLine) -> Sequence[ItemLine]:
    """The line's lots as lines of their own (made with the line, on the loading thread)."""
    return line.lot_lines


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
    overdue: frozenset[str] = frozenset()  # items with a loan past its due date
    # Worked out on the loading thread, so the UI thread only puts them on screen.
    lines: list[ItemLine] = field(default_factory=list)
    low: int = 0
    empty: int = 0

    def with_lines(self, memo: tuple[LineMemo, LineMemo] | None = None) -> Stock:
        """This stock with its sheet lines and the head's counts filled in (`memo`: every line,
        and the lines of what is not archived, as the last load made them)."""
        every, current = memo or (LineMemo(), LineMemo())
        live = current.lines([i for i in self.items if not i.archived])
        return replace(
            self,
            lines=every.lines(self.items),
            low=sum(1 for line in live if any(is_low(lot) for lot in line.live)),  # as line_states says
            empty=sum(1 for line in live if line.quantity <= 0),
        )


def line_states(line: ItemLine, stock: Stock) -> set[str]:
    """What a line's flags say: low, none, expiring, expired, out, overdue."""
    states = set()
    for item in line.live:
        if is_low(item):
            states.add("low")
        if item.quantity <= 0:
            states.add("none")
        if item.id in stock.expiring:
            states.add("expiring")
            if item.expires is not None and item.expires < stock.today:
                states.add("expired")
        if stock.out.get(item.id):
            states.add("out")
        if item.id in stock.overdue:
            states.add("overdue")
    if line.quantity <= 0:
        states.add("none")
    return states


def _days(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


class InventoryScreen(AreaScreen[Stock]):
    AREA = "inventory"
    TITLE_TEXT = "Inventory"
    HELP = (
        "The group's supplies, one line per item with its total, where it is kept and who holds it; "
        "Enter or space opens a line kept in several places to show each lot. + and - add or take "
        "one, = adjusts by any amount: adjustments from several devices at once all add up. l lends "
        "to a member (never more than is on the shelf), r records a return; t shows every loan, "
        "overdue ones first. Flags: LOW under the minimum, NONE nothing left, EXP expiring, out on "
        "loan, OVERDUE. Search: cat:water loc:garage is:low is:none is:expiring is:out is:overdue."
    )
    WATCHES: ClassVar[frozenset[str] | None] = frozenset({"inventory", "loans", "members", "households"})
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "add", "Add"),
        Binding("e", "edit", "Edit"),
        Binding("x", "archive", "Archive"),
        Binding("plus", "adjust(1)", "±1"),
        Binding("minus", "adjust(-1)", "Take one", show=False),
        Binding("equals_sign", "adjust_by", "By…"),
        Binding("l", "lend", "Lend"),
        Binding("r", "give_back", "Return"),
        Binding("t", "switch", "Loans"),
        Binding("space", "expand", "Lots", show=False),
        Binding("f", "filter", "Filter"),
    ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.stock = Stock([], [], {}, 0, None, None, frozenset())
        self.focus_key: str | None = None
        self._memo = (LineMemo(), LineMemo())  # every line, and the lines of what is not archived

    # ---- the stock sheet ---------------------------------------------------------------------

    def _states(self, line: ItemLine) -> set[str]:
        return line_states(line, self.stock)

    def _flags(self, line: ItemLine) -> Text:
        states = self._states(line)
        flags: list[tuple[str, str]] = []
        if "none" in states and (line.is_lot or line.quantity <= 0):
            flags.append(("NONE", "bold white on red"))
        elif "low" in states:
            flags.append(("LOW", "bold red"))
        if "overdue" in states:
            flags.append(("OVERDUE", "bold white on red"))
        if "expiring" in states:
            flags.append(("EXPIRED", "bold red") if "expired" in states else ("EXP", "yellow"))
        out = sum(self.stock.out.get(item.id, 0) for item in line.live)
        if out and "overdue" not in states:
            flags.append((f"out {out:g}", "cyan"))
        text = Text(no_wrap=True, overflow="ellipsis")
        for index, (word, style) in enumerate(flags):
            text.append((" " if index else "") + word, style=style)
        return text

    def _item_cell(self, line: ItemLine) -> Text:
        if line.is_lot:
            return cell_text("  " + (line.lots[0].location or "(no place)"))
        if len(line.lots) > 1:
            marker = "▾ " if line.id in self.records.expanded else "▸ "
            return Text.assemble((marker, "dim"), cell_text(line.name))
        return cell_text(line.name)

    def _where(self, line: ItemLine) -> str:
        if line.is_lot or len(line.lots) == 1:
            return line.lots[0].location if not line.is_lot else ""
        places = sorted({lot.location for lot in line.live if lot.location}, key=str.lower)
        if not places:
            return ""
        return places[0] if len(places) == 1 else counted(len(places), "place")

    def _holder(self, line: ItemLine) -> str:
        holders = {lot.holder_id for lot in line.live}
        if len(holders) == 1:
            holder = next(iter(holders))
            return self.stock.names.get(holder, "?") if holder else ""
        known = {h for h in holders if h}
        return counted(len(known), "person", "people") if known else ""

    def _expiry(self, line: ItemLine) -> date:
        dates = [lot.expires for lot in line.live if lot.expires is not None and lot.quantity > 0]
        return min(dates) if dates else date.max

    def _expires(self, line: ItemLine) -> str:
        """The month the first lot expires ('Jun 26'): enough for a stock sheet; the day is in its details."""
        first = self._expiry(line)
        return first.strftime("%b %y") if first != date.max else ""

    def columns(self) -> Sequence[Column[ItemLine]]:
        return [
            Column("name", "Item", self._item_cell, lambda line: line.name.lower(), width=18, least=14),
            Column(
                "quantity",
                "Qty",
                lambda line: f"{line.quantity:g} {line.unit}".strip(),
                lambda line: line.quantity,
                width=10,
            ),
            Column("flags", "!", self._flags, lambda line: self._flags(line).plain, width=8),
            Column("places", "Where", self._where, width=14, least=8),
            Column("holder", "Held by", self._holder, width=12, grow=1, least=8),
            Column("expires", "Expires", self._expires, self._expiry, width=7),
        ]

    def search_terms(self) -> Mapping[str, Callable[[ItemLine, str], bool]]:
        def category(line: ItemLine, wanted: str) -> bool:
            return choice_label(line.category).lower().startswith(wanted)

        def where(line: ItemLine, wanted: str) -> bool:
            return any(wanted in lot.location.lower() for lot in line.live)

        def state(line: ItemLine, wanted: str) -> bool:
            return any(word.startswith(wanted) for word in self._states(line))

        return {"cat": category, "category": category, "loc": where, "location": where, "is": state}

    def haystack(self, record: ItemLine) -> str:
        return " ".join(f"{lot.notes} {lot.location} {self.stock.names.get(lot.holder_id, '')}" for lot in record.live)

    def compose_body(self) -> Iterator[Any]:
        yield Static("", classes="area-head", id="head")
        with ContentSwitcher(initial="records", id="stock-views"):
            yield RecordTable(
                self.columns(),
                search_terms=self.search_terms(),
                haystack=self.haystack,
                sort="name",
                placeholder="/ search · cat:water loc:garage is:low is:none is:out",
                sub_rows=lots_of,
                id="records",
            )
            yield RecordTable(
                [
                    Column("item", "Item", lambda loan: self._item_name(loan.item_id), width=18),
                    Column("member", "Borrower", lambda loan: self.stock.names.get(loan.member_id, "?"), width=16),
                    Column("quantity", "Qty", lambda loan: f"{loan.quantity:g}", lambda loan: loan.quantity, width=5),
                    Column("lent", "Lent", lambda loan: loan.lent_on.isoformat() if loan.lent_on else "", width=10),
                    Column("due", "Due", self._due, lambda loan: loan.due_back or date.max, width=10),
                    Column("returned", "Back", self._back, width=10),
                ],
                search_terms={
                    "open": lambda loan, _v: not loan.returned,
                    "is": lambda loan, v: "overdue".startswith(v) and is_overdue(loan, self.stock.today),
                },
                sort="due",
                placeholder="/ search loans · open: is:overdue",
                id="loans",
            )

    def _due(self, loan: Loan) -> Text:
        day = loan.due_back.isoformat() if loan.due_back else ""
        return Text(day, style="bold white on red" if is_overdue(loan, self.stock.today) else "")

    @staticmethod
    def _back(loan: Loan) -> str:
        return loan.returned_on.isoformat() if loan.returned_on else ("yes" if loan.returned else "")

    def _item_name(self, item_id: str) -> str:
        return next((i.name for i in self.stock.items if i.id == item_id), "?")

    @property
    def records(self) -> RecordTable[ItemLine]:
        table: RecordTable[ItemLine] = self.query_one("#records", RecordTable)
        return table

    @property
    def loans(self) -> RecordTable[Loan]:
        table: RecordTable[Loan] = self.query_one("#loans", RecordTable)
        return table

    @property
    def view(self) -> str:
        return self.query_one("#stock-views", ContentSwitcher).current or "records"

    # ---- data --------------------------------------------------------------------------------

    def load(self) -> Stock:
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
            frozenset(loan.item_id for loan in loans if is_overdue(loan, today)),
        ).with_lines(self._memo)

    def show(self, data: Stock) -> None:
        self.stock = data
        # Everything the sheet's cells read beyond the line itself (see _flags, _holder, _expires).
        self.records.context = (data.expiring, data.out, data.overdue, data.today, data.names)
        self.records.set_rows(data.lines)
        self.loans.set_rows(data.loans)
        if self.focus_key and self.records.select(self.focus_key):
            self.focus_key = None
        low, empty = data.low, data.empty
        overdue = sum(1 for loan in data.loans if is_overdue(loan, data.today))
        short = any(d is not None and d < 3 for d in (data.water_days, data.food_days))
        view = "[b reverse] Items [/] Loans " if self.view == "records" else " Items [b reverse] Loans [/]"
        loans_out = len(open_loans(data.loans))
        late = f" · [b red]{overdue} overdue[/]" if overdue else ""
        head = self.query_one("#head", Static)
        head.update(
            f"{view} water [b]{_days(data.water_days)}[/] d · food [b]{_days(data.food_days)}[/] d "
            f"for {counted(data.people, 'person', 'people')}\n[b]{low}[/] low · [b]{empty}[/] none left · "
            f"[b]{len(data.expiring)}[/] expiring · {loans_out} out on loan{late}"
        )
        head.display = True
        head.set_class(short or low > 0 or overdue > 0, "alert")

    # ---- which lot -----------------------------------------------------------------------------

    def _line(self) -> ItemLine | None:
        if self.view == "loans":
            loan = self.loans.current
            item = next((i for i in self.stock.items if loan and i.id == loan.item_id), None)
            return ItemLine((item,), is_lot=True) if item is not None else None
        return self.records.current

    async def _lot(self, verb: str) -> InventoryItem | None:
        """The lot the person means: the line's own, or the one they pick from its places."""
        line = self._line()
        if line is None:
            return None
        if line.item is not None:
            return line.item
        lots = line.live
        choices = [(f"{lot.location or '(no place)'} — {lot.quantity:g} {lot.unit}".rstrip(), lot.id) for lot in lots]
        picked = await self.app.push_screen_wait(PickModal(f"{verb} {line.name}: which lot?", choices))
        return next((lot for lot in lots if lot.id == picked), None)

    # ---- actions -----------------------------------------------------------------------------

    def focus_on(self, search: str) -> None:
        if self.view != "records":
            self.action_switch()  # a lead is about items, never loans
        super().focus_on(search)

    def show_tab(self, tab: str) -> None:
        """Show the items ("records") or the loans ("loans")."""
        if tab != self.view:
            self.action_switch()

    def action_switch(self) -> None:
        switcher = self.query_one("#stock-views", ContentSwitcher)
        switcher.current = "loans" if self.view == "records" else "records"
        self.show(self.stock)
        (self.loans if self.view == "loans" else self.records).table.focus()

    def action_expand(self) -> None:
        self.records.toggle()

    @on(RecordTable.Chosen, "#records")
    def _chosen(self, event: RecordTable.Chosen) -> None:
        """Enter: a line kept in several places opens to show them; one lot opens its details."""
        event.stop()
        line: ItemLine = event.row
        if line.item is None:
            self.records.toggle(line)
            return
        self.open_detail(line.item, related=item_loans)

    def action_add(self) -> None:
        self.open_form(InventoryItem, then=self._select_later)

    def _select_later(self, item: InventoryItem) -> None:
        self.focus_key = item.id
        if self.records.select(item.id):
            self.focus_key = None

    def action_edit(self) -> None:
        self._edit()

    @work(exclusive=True, group="inventory-ask")
    async def _edit(self) -> None:
        item = await self._lot("Edit")
        if item is not None:
            self.open_form(InventoryItem, item, fields=ITEM_FIELDS)

    def action_archive(self) -> None:
        self._archive()

    @work(exclusive=True, group="inventory-ask")
    async def _archive(self) -> None:
        item = await self._lot("Archive")
        if item is not None:
            self.confirm_archive(item)

    def action_adjust(self, delta: float) -> None:
        self._adjust_lot(delta)

    @work(exclusive=True, group="inventory-ask")
    async def _adjust_lot(self, delta: float) -> None:
        item = await self._lot("Add to" if delta > 0 else "Take from")
        if item is not None:
            self._adjust(item, delta)

    def _adjust(self, item: InventoryItem, delta: float) -> None:
        inventory = self.session.doc.inventory
        self.write(
            lambda: inventory.adjust(item.id, "quantity", delta),
            lambda fresh: self.notify(f"{fresh.name}: {fresh.quantity:g} {fresh.unit}".rstrip(), timeout=2),
        )

    def action_adjust_by(self) -> None:
        self._adjust_by()

    @work(exclusive=True, group="inventory-ask")
    async def _adjust_by(self) -> None:
        item = await self._lot("Adjust")
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

        where = f" at {item.location}" if item.location else ""
        text = await self.app.push_screen_wait(
            PromptModal(
                f"{item.name}{where}: {item.quantity:g} {item.unit} on hand. Add (or take, with -):",
                placeholder="e.g. 12 or -3",
                check=check,
            )
        )
        if text and text.strip():
            self._adjust(item, float(text.replace(",", "")))

    def action_lend(self) -> None:
        self._lend()

    @work(exclusive=True, group="inventory-ask")
    async def _lend(self) -> None:
        item = await self._lot("Lend")
        if item is None:
            return
        self.open_form(
            Loan,
            fields=LOAN_FIELDS,
            defaults={"item_id": item.id, "quantity": 1, "lent_on": self.stock.today},
            title=f"Lend {item.name}" + (f" from {item.location}" if item.location else ""),
        )

    def action_give_back(self) -> None:
        if self.view == "loans":
            loan = self.loans.current
            if loan is not None and not loan.returned:
                self._confirm_return(loan)
            return
        line = self.records.current
        if line is None:
            return
        ids = {lot.id for lot in line.lots}
        loans = [loan for loan in open_loans(self.stock.loans) if loan.item_id in ids]
        if not loans:
            self.notify(f"No open loans of {line.name}", timeout=3)
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

        self.app.push_screen(PickModal(f"Which loan of {line.name} came back?", choices), picked)

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
        choices += [
            ("below minimum", "is:low"),
            ("none left", "is:none"),
            ("expiring soon", "is:exp"),
            ("out on loan", "is:out"),
            ("loan overdue", "is:overdue"),
        ]

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
        self.open_detail(event.row)


def item_loans(doc: Any, item: Any) -> list[str]:
    """Who has some of this lot now, for its detail view."""
    from screens.markup import escape

    loans = [loan for loan in open_loans(doc.loans.all()) if loan.item_id == item.id]
    if not loans:
        return ["[dim]Nothing out on loan.[/]"]
    lines = [f"[b]Out on loan ({len(loans)})[/]"]
    for loan in loans:
        member = doc.members.find(loan.member_id)
        due = f", due {loan.due_back.isoformat()}" if loan.due_back else ""
        lines.append(f"  {loan.quantity:g} to {escape(member.name if member else '?')}{due}")
    return lines
