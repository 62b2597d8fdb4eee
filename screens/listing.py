"""A screen listing one kind of record with add, edit and archive: most areas are one of these.

A subclass names its record type and columns; it may add search terms (`zone:B`), a headline
above the list, and what Enter does. Everything else (search, sort, archived rows, forms that
validate, live refresh) comes from here and the widgets.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, ClassVar, Generic, TypeVar, cast

from textual import on
from textual.binding import Binding, BindingType
from textual.widgets import Static

from magnet.collection import Collection
from magnet.record import Record
from screens.base import AreaScreen
from screens.widgets.record_table import Column, RecordTable, field_column

R = TypeVar("R", bound=Record)


class RecordListScreen(AreaScreen[Sequence[R]], Generic[R]):
    RECORD_TYPE: ClassVar[type[Record]] = Record
    COLUMNS: ClassVar[tuple[str, ...]] = ()
    SORT: ClassVar[str | None] = None
    FORM_FIELDS: ClassVar[tuple[str, ...] | None] = None
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "add", "Add"),
        Binding("e", "edit", "Edit"),
        Binding("x", "archive", "Archive"),
    ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.focus_key: str | None = None

    @property
    def collection(self) -> Collection[R]:
        return cast(Collection[R], self.session.doc.collection(self.RECORD_TYPE))

    # ---- what subclasses tune ----------------------------------------------------------------

    def columns(self) -> Sequence[Column[R]]:
        return [field_column(self.RECORD_TYPE, name) for name in self.COLUMNS]

    def search_terms(self) -> Mapping[str, Callable[[R, str], bool]]:
        return {}

    def haystack(self, record: R) -> str:
        return ""

    def headline(self, rows: Sequence[R]) -> str:
        return ""

    def chosen(self, record: R) -> None:
        """Enter on a row: its details (e edits), unless the subclass shows something richer."""
        self.open_detail(record, fields=self.FORM_FIELDS)

    # ---- the screen --------------------------------------------------------------------------

    def compose_body(self) -> Iterator[Any]:
        yield Static("", classes="area-head", id="head")
        yield RecordTable(
            self.columns(),
            search_terms=self.search_terms(),
            haystack=self.haystack,
            sort=self.SORT,
            id="records",
        )

    @property
    def records(self) -> RecordTable[R]:
        table: RecordTable[R] = self.query_one("#records", RecordTable)
        return table

    def load(self) -> Sequence[R]:
        return self.collection.all(include_archived=True)

    def show(self, data: Sequence[R]) -> None:
        self.records.set_rows(data)
        head = self.headline(data)
        self.query_one("#head", Static).update(head)
        self.query_one("#head", Static).display = bool(head)
        if self.focus_key and self.records.select(self.focus_key):
            self.focus_key = None

    def select_later(self, record: Record) -> None:
        """Put the cursor on `record` once it shows up in the list."""
        self.focus_key = record.id
        if self.records.select(record.id):
            self.focus_key = None

    @on(RecordTable.Chosen, "#records")
    def _chosen(self, event: RecordTable.Chosen) -> None:
        event.stop()
        self.chosen(event.row)

    # ---- actions -----------------------------------------------------------------------------

    def action_add(self) -> None:
        self.open_form(self.RECORD_TYPE, fields=self.FORM_FIELDS, then=self.select_later)

    def action_edit(self) -> None:
        record = self.records.current
        if record is not None:
            self.open_form(self.RECORD_TYPE, record, fields=self.FORM_FIELDS)

    def action_archive(self) -> None:
        record = self.records.current
        if record is not None:
            self.confirm_archive(record)
