"""A list of records: search as you type, sort by any column, archived rows on request.

The screen hands rows down (`set_rows`) and hears `Chosen` back. Rows are any objects with a
stable key; columns say how to show and sort them. Refreshing with new data keeps the cursor on
the same record, and a table with `stable_order` keeps rows where they are (a block captain's
sweep must not jump around) until the sort or the search changes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.timer import Timer
from textual.widgets import DataTable, Input, Static
from textual.widgets.data_table import RowKey

from magnet.record import Record, display
from magnet.safetext import shown

T = TypeVar("T")
SEARCH_PAUSE = 0.15
SCROLLBAR = 2  # the list's own scrollbar, kept free so a long list never needs to scroll sideways
QUICK_ROWS = 300
Cell = str | Text


NAME_KEYS = frozenset({"name", "title", "item", "member", "need"})
# Free text that reads fine cut short and takes what room is left after the names.
FREE_KEYS = frozenset(
    {"skills", "place", "location", "notes", "note", "details", "how", "reach", "trigger", "duties", "who"}
    | {"goals", "detail", "error", "address", "agenda", "offers", "holder", "places", "confirms"}
)


@dataclass(frozen=True)
class Column(Generic[T]):
    """One column: its width is where it starts; `grow` says how much of any spare width it takes.

    Columns share the table's width: spare columns go to those that grow (names and free text by
    default, a name twice as much), and when the table is narrower than the widths add up to,
    growing columns give way down to `least` before anything scrolls.
    """

    key: str
    label: str
    cell: Callable[[T], Cell]
    sort_key: Callable[[T], Any] | None = None
    width: int | None = None
    grow: int | None = None  # None: names 2, free text 1, the rest 0
    least: int | None = None  # narrowest it gets (default: its label, at least 4)

    def weight(self) -> int:
        if self.grow is not None:
            return self.grow
        if self.key in NAME_KEYS:
            return 2
        return 1 if self.key in FREE_KEYS else 0

    def narrowest(self) -> int:
        if self.least is not None:
            return self.least
        if self.key in NAME_KEYS:
            return min(self.width or 12, 12)
        return min(self.width or 4, max(4, len(self.label)))


def fit_widths(columns: Sequence[Column[Any]], room: int, padding: int) -> list[int]:
    """Widths for `columns` in `room` cells (each column also takes `padding` cells).

    Spare room goes to growing columns by weight; missing room is taken from them, widest first,
    never below their narrowest; fixed columns keep their width.
    """
    widths = [c.width or max(len(c.label), 4) for c in columns]
    spare = room - sum(widths) - padding * len(columns)
    growing = [i for i, c in enumerate(columns) if c.weight() > 0]
    if spare > 0 and growing:
        total = sum(columns[i].weight() for i in growing)
        given = 0
        for n, i in enumerate(growing):
            share = spare - given if n == len(growing) - 1 else spare * columns[i].weight() // total
            widths[i] += share
            given += share
    while spare < 0:
        shrinkable = [i for i in growing if widths[i] > columns[i].narrowest()]
        if not shrinkable:
            break
        widest = max(shrinkable, key=lambda i: (widths[i] - columns[i].narrowest(), -i))
        widths[widest] -= 1
        spare += 1
    return widths


def field_column(
    record_type: type[Record], name: str, label: str | None = None, width: int | None = None
) -> Column[Any]:
    """A column showing one field as `format_value` writes it, sorted by the value itself."""
    spec = record_type.spec(name)

    def sort_key(record: Any) -> Any:
        value = getattr(record, name)
        if value is None:
            return (1, "")
        if isinstance(value, str):
            return (0, value.lower())
        if isinstance(value, frozenset | dict):
            return (0, len(value))
        return (0, value)

    return Column(name, label or spec.label, lambda r: display(r, name), sort_key, width)


def cell_text(value: str) -> Text:
    """How any text from the group's records becomes a table cell: one line, never markup, and
    control characters shown, never obeyed (magnet.safetext)."""
    return Text(shown(value), no_wrap=True, overflow="ellipsis")


def _plain(cell: Cell) -> str:
    return cell.plain if isinstance(cell, Text) else cell


def _as_text(cell: Cell) -> Text:
    """Cells are shown as given: a name with [brackets] is not markup, an escape is not obeyed."""
    return cell if isinstance(cell, Text) else cell_text(cell)


class FixedWidthTable(DataTable[Text]):
    """A DataTable whose columns all have fixed widths, so new rows need no measuring.

    DataTable measures every cell of every new row to size auto-width columns: with 2,000 items
    that is a quarter of a second per search keystroke, on the UI thread. Widths here are fixed
    and rows one line high, so measuring one new row keeps its bookkeeping right.
    """

    def _update_dimensions(self, new_rows: Iterable[RowKey]) -> None:
        if any(column.auto_width for column in self.columns.values()):
            super()._update_dimensions(new_rows)
            return
        super()._update_dimensions(list(new_rows)[:1])

    def set_widths(self, widths: Sequence[int]) -> None:
        """Give the columns new widths (the table's width changed)."""
        changed = False
        for column, width in zip(self.ordered_columns, widths, strict=False):
            if column.width != width:
                column.width = width
                changed = True
        if changed:
            self._clear_caches()
            self._require_update_dimensions = True
            self.refresh()

    def action_scroll_home(self) -> None:
        """Home: the first row; the names stay in sight (a list is read by rows, not columns)."""
        if self.row_count:
            self.move_cursor(row=0)

    def action_scroll_end(self) -> None:
        """End: the last row, with the name column where it was."""
        if self.row_count:
            self.move_cursor(row=self.row_count - 1)


class RecordTable(Vertical, Generic[T]):
    """A searchable, sortable list; Enter on a row posts `Chosen`."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "search", "Find", show=False),
        Binding("o", "sort", "Sort", show=False),
        Binding("O", "reverse", "Reverse sort", show=False),
        Binding("A", "toggle_archived", "Show archived", show=False),
    ]

    class Chosen(Message):
        """Enter (or a click) on a row."""

        def __init__(self, table: RecordTable[Any], row: Any) -> None:
            super().__init__()
            self.table = table
            self.row = row

        @property
        def control(self) -> RecordTable[Any]:
            return self.table

    def __init__(
        self,
        columns: Sequence[Column[T]],
        *,
        key: Callable[[T], str] = lambda row: str(getattr(row, "id", id(row))),
        search_terms: Mapping[str, Callable[[T, str], bool]] | None = None,
        haystack: Callable[[T], str] | None = None,
        is_archived: Callable[[T], bool] | None = lambda row: bool(getattr(row, "archived", False)),
        sort: str | None = None,
        reverse: bool = False,
        stable_order: bool = False,
        placeholder: str = "/ search",
        sub_rows: Callable[[T], Sequence[T]] | None = None,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id, classes="record-table")
        self.columns = list(columns)
        self.row_key = key
        self.search_terms = dict(search_terms or {})
        self.haystack = haystack
        self.is_archived = is_archived
        self.sort_column = sort
        self.sort_reverse = reverse
        self.stable_order = stable_order
        self.show_archived = False
        self.placeholder = placeholder
        # A row may stand for several (an item kept in eight places): its children show under it
        # when it is expanded, and the ones a search matches show under it anyway.
        self.sub_rows = sub_rows
        self.expanded: set[str] = set()
        self._rows: list[T] = []
        self._by_key: dict[str, T] = {}
        self._keys: list[str] = []
        self._cells: dict[str, tuple[Cell, ...]] = {}
        # What the cells show beyond the row itself (the screen sets it before `set_rows`): while
        # it stays equal, a row that is the very same object keeps its cells from last time, so
        # a reload after one change does not format a large sheet again on the UI thread.
        self.context: object = None
        self._memo: dict[str, tuple[T, tuple[Cell, ...]]] = {}
        self._memo_for: object = None
        self._resort = True
        self._search_timer: Timer | None = None

    def compose(self) -> ComposeResult:
        table = FixedWidthTable(cursor_type="row", zebra_stripes=True)
        for column in self.columns:
            table.add_column(column.label, key=column.key, width=column.width)
        yield table
        with Horizontal(classes="table-foot"):
            yield Input(placeholder=self.placeholder, compact=True, classes="table-search")
            yield Static("", classes="table-count")

    def _pinned(self) -> int:
        """Columns up to the name stay put when the table scrolls sideways."""
        for index, column in enumerate(self.columns[:3]):
            if column.key in NAME_KEYS:
                return index + 1
        return 0

    def on_resize(self) -> None:
        self.fit_columns()

    def fit_columns(self) -> None:
        """Share the table's width between its columns (on mount and whenever it is resized)."""
        table = self.table
        room = self.size.width - SCROLLBAR
        if room <= 0:
            return
        widths = fit_widths(self.columns, room, 2 * table.cell_padding)
        table.set_widths(widths)
        # Pinned only when the columns still do not fit: then the name stays put as the rest scrolls.
        overflow = sum(widths) + 2 * table.cell_padding * len(widths) > room
        table.fixed_columns = self._pinned() if overflow else 0

    @property
    def table(self) -> FixedWidthTable:
        return self.query_one(FixedWidthTable)

    @property
    def search(self) -> Input:
        return self.query_one(".table-search", Input)

    # ---- data in -----------------------------------------------------------------------------

    def set_rows(self, rows: Sequence[T]) -> None:
        self._rows = list(rows)
        self._by_key = {self.row_key(r): r for r in self._rows}
        if self.sub_rows is not None:
            for row in self._rows:
                self._by_key.update((self.row_key(child), child) for child in self.sub_rows(row))
        self._memo = {k: hit for k, hit in self._memo.items() if self._by_key.get(k) is hit[0]}
        self._refresh_rows()

    def _cells_of(self, row: T) -> tuple[Cell, ...]:
        key = self.row_key(row)
        hit = self._memo.get(key)
        if hit is not None and hit[0] is row:
            return hit[1]
        cells = tuple(c.cell(row) for c in self.columns)
        self._memo[key] = (row, cells)
        return cells

    def _kids(self, row: T) -> Sequence[T]:
        return self.sub_rows(row) if self.sub_rows is not None else ()

    def toggle(self, row: T | None = None) -> bool:
        """Expand or fold the row (the one under the cursor by default); False when it has no children."""
        row = row if row is not None else self.current
        if row is None:
            return False
        key = self.row_key(row)
        if key not in {self.row_key(r) for r in self._rows} or len(self._kids(row)) < 2:
            return False
        self.expanded ^= {key}
        self._refresh_rows()
        return True

    @property
    def rows(self) -> list[T]:
        """Every row handed in (before search and archive filtering)."""
        return list(self._rows)

    @property
    def visible_rows(self) -> list[T]:
        return [self._by_key[k] for k in self._keys]

    @property
    def current(self) -> T | None:
        table = self.table
        if not self._keys or table.cursor_row < 0 or table.cursor_row >= len(self._keys):
            return None
        return self._by_key.get(self._keys[table.cursor_row])

    def select(self, key: str) -> bool:
        """Put the cursor on the row `key` (opening the row it sits under); False when not shown."""
        if key not in self._keys and self.sub_rows is not None:
            parent = next((r for r in self._rows if key in {self.row_key(k) for k in self._kids(r)}), None)
            if parent is not None and len(self._kids(parent)) > 1 and self.row_key(parent) not in self.expanded:
                self.expanded.add(self.row_key(parent))
                self._refresh_rows()
        if key in self._keys:
            self.table.move_cursor(row=self._keys.index(key))
            return True
        return False

    def cursor_down(self) -> None:
        table = self.table
        if table.cursor_row < len(self._keys) - 1:
            table.move_cursor(row=table.cursor_row + 1)

    def resort(self) -> None:
        """Put rows back in sort order (e.g. after a sweep) on the next render."""
        self._resort = True
        self._refresh_rows()

    # ---- filtering and ordering --------------------------------------------------------------

    def _visible(self) -> list[T]:
        terms = self.search.value.lower().split() if self.is_mounted else []
        found = []
        for row in self._rows:
            if not self._shows(row):
                continue
            if terms and not self._matches(row, terms) and not self._matching_kids(row, terms):
                continue
            found.append(row)
        return found

    def _shows(self, row: T) -> bool:
        return self.show_archived or self.is_archived is None or not self.is_archived(row)

    def _matching_kids(self, row: T, terms: list[str]) -> list[T]:
        kids = self._kids(row)
        if len(kids) < 2:
            return []
        return [kid for kid in kids if self._shows(kid) and self._matches(kid, terms)]

    def _with_children(self, rows: list[T]) -> list[T]:
        """Each row, then (expanded) all its children or (searching) the children the search finds."""
        if self.sub_rows is None:
            return rows
        terms = self.search.value.lower().split() if self.is_mounted else []
        shown: list[T] = []
        for row in rows:
            shown.append(row)
            kids = self._kids(row)
            if len(kids) < 2:
                continue
            if self.row_key(row) in self.expanded:
                shown.extend(kid for kid in kids if self._shows(kid))
            elif terms:
                shown.extend(self._matching_kids(row, terms))
        return shown

    def _matches(self, row: T, terms: list[str]) -> bool:
        text: str | None = None
        for term in terms:
            name, sep, wanted = term.partition(":")
            test = self.search_terms.get(name) if sep else None
            if test is not None:
                if wanted and not test(row, wanted.replace("_", " ")):
                    return False
                continue
            if text is None:
                text = " ".join(_plain(cell) for cell in self._cells_of(row)).lower()
                if self.haystack is not None:
                    text += " " + self.haystack(row).lower()
            if term not in text:
                return False
        return True

    def _ordered(self, rows: list[T]) -> list[T]:
        if self.stable_order and not self._resort and self._keys:
            place = {k: i for i, k in enumerate(self._keys)}
            return sorted(rows, key=lambda r: place.get(self.row_key(r), len(place)))
        index = next((i for i, c in enumerate(self.columns) if c.key == self.sort_column), None)
        if index is None:
            return rows
        sort_key = self.columns[index].sort_key or (lambda r: _plain(self._cells_of(r)[index]).lower())
        # Ties (two neighbours of one name) go by key, not by the order rows came in: an edit that
        # hands one row in elsewhere must not reorder, and so redraw, the whole table.
        return sorted(rows, key=lambda r: (sort_key(r), self.row_key(r)), reverse=self.sort_reverse)

    def _refresh_rows(self) -> None:
        if not self.is_mounted:
            return
        stamp = None if self.context is None else (self.context, frozenset(self.expanded))
        if stamp is None or stamp != self._memo_for:
            self._memo = {}  # with no context given, cells are only reused within one refresh
        self._memo_for = stamp
        rows = self._with_children(self._ordered(self._visible()))
        self._resort = False
        keys = [self.row_key(r) for r in rows]
        cells = {k: self._cells_of(r) for k, r in zip(keys, rows, strict=True)}
        table = self.table
        if keys == self._keys:
            for k in keys:
                old = self._cells.get(k)
                if cells[k] is not old and cells[k] != old:
                    for column, value in zip(self.columns, cells[k], strict=True):
                        table.update_cell(k, column.key, _as_text(value))
        else:
            current = self._keys[table.cursor_row] if 0 <= table.cursor_row < len(self._keys) else None
            old_row = table.cursor_row
            table.clear()
            for k in keys:
                table.add_row(*map(_as_text, cells[k]), key=k)
            if current in keys:
                table.move_cursor(row=keys.index(current), animate=False)
            elif keys:
                table.move_cursor(row=min(max(old_row, 0), len(keys) - 1), animate=False)
        self._keys = keys
        self._cells = cells
        self._show_count()

    def _show_count(self) -> None:
        total = sum(1 for r in self._rows if self._shows(r))
        top = {self.row_key(r) for r in self._rows}
        shown = sum(1 for k in self._keys if k in top)
        arrow = "↓" if self.sort_reverse else "↑"
        column = next((c.label for c in self.columns if c.key == self.sort_column), "")
        parts = [f"{shown} of {total}" if shown != total else f"{total}"]
        if column:
            parts.append(f"{column} {arrow}")
        if self.show_archived:
            parts.append("+archived")
        self.query_one(".table-count", Static).update(" · ".join(parts))

    # ---- events and actions ------------------------------------------------------------------

    @on(Input.Changed, ".table-search")
    def _search_changed(self, event: Input.Changed) -> None:
        event.stop()
        # Refilter once typing pauses: a long list is not rebuilt for every key.
        if self._search_timer is not None:
            self._search_timer.stop()
            self._search_timer = None
        if len(self._rows) > QUICK_ROWS:
            self._search_timer = self.set_timer(SEARCH_PAUSE, self._searched)
        else:
            self._searched()

    def _searched(self) -> None:
        self._search_timer = None
        self._resort = True
        self._refresh_rows()

    @on(Input.Submitted, ".table-search")
    def _search_done(self, event: Input.Submitted) -> None:
        event.stop()
        self.table.focus()

    def on_key(self, event: Any) -> None:
        if event.key in ("escape", "down") and self.search.has_focus:
            event.stop()
            if event.key == "escape" and not self.search.value:
                self.table.focus()
                return
            if event.key == "escape":
                self.search.value = ""
            self.table.focus()

    @on(DataTable.RowSelected)
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        row = self._by_key.get(str(event.row_key.value))
        if row is not None:
            self.post_message(self.Chosen(self, row))

    @on(DataTable.HeaderSelected)
    def _header_selected(self, event: DataTable.HeaderSelected) -> None:
        event.stop()
        key = str(event.column_key.value)
        if key == self.sort_column:
            self.sort_reverse = not self.sort_reverse
        else:
            self.sort_column, self.sort_reverse = key, False
        self.resort()

    def action_search(self) -> None:
        self.search.focus()

    def action_sort(self) -> None:
        keys = [c.key for c in self.columns]
        index = keys.index(self.sort_column) + 1 if self.sort_column in keys else 0
        self.sort_column, self.sort_reverse = keys[index % len(keys)], False
        self.resort()

    def action_reverse(self) -> None:
        self.sort_reverse = not self.sort_reverse
        self.resort()

    def action_toggle_archived(self) -> None:
        self.show_archived = not self.show_archived
        self.notify("Showing archived records too" if self.show_archived else "Archived records hidden", timeout=3)
        self.resort()
