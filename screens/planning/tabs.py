"""A planning page with several lists, one shown at a time; t moves to the next, the head shows them all."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, ClassVar, TypeVar

from textual.binding import Binding, BindingType
from textual.widget import Widget
from textual.widgets import ContentSwitcher, Static

from screens.markup import escape
from screens.planning.page import PlanPage
from screens.widgets.record_table import RecordTable

D = TypeVar("D")


class TabbedPage(PlanPage[D]):
    """Subclasses name their TABS (id, title) and build one table per tab in `make_table`."""

    TABS: ClassVar[tuple[tuple[str, str], ...]] = ()
    BINDINGS: ClassVar[list[BindingType]] = [Binding("t", "next_tab", "Next list")]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.counts: dict[str, int] = {}
        self.note = ""
        self.focus_key: str | None = None

    def make_table(self, tab: str) -> Widget:
        """The widget showing one tab: usually a RecordTable, whose rows `fill` hands in."""
        raise NotImplementedError

    def compose_body(self) -> Iterator[Any]:
        yield Static("", classes="area-head", id="head")
        with ContentSwitcher(initial=self.TABS[0][0], id="tabs"):
            for tab, _ in self.TABS:
                yield self.make_table(tab)

    @property
    def tab(self) -> str:
        return self.query_one("#tabs", ContentSwitcher).current or self.TABS[0][0]

    def table(self, tab: str | None = None) -> RecordTable[Any]:
        found: RecordTable[Any] = self.query_one(f"#{tab or self.tab}", RecordTable)
        return found

    @property
    def current(self) -> Any:
        """The row under the cursor in the list shown (None on a tab that is not a list)."""
        shown = self.query_one(f"#{self.tab}")
        return shown.current if isinstance(shown, RecordTable) else None

    def fill(self, rows: Mapping[str, Any], note: str = "") -> None:
        """Hand each list its rows; `note` is a line under the tabs (what needs attention)."""
        for tab, found in rows.items():
            self.table(tab).set_rows(found)
            self.counts[tab] = sum(1 for r in found if not getattr(r, "archived", False))
        self.note = note
        self.headline()
        shown = self.query_one(f"#{self.tab}")
        if self.focus_key and isinstance(shown, RecordTable) and shown.select(self.focus_key):
            self.focus_key = None

    def headline(self) -> None:
        parts = []
        for tab, title in self.TABS:
            label = f" {title} {self.counts.get(tab, 0)} "
            parts.append(f"[b reverse]{escape(label)}[/]" if tab == self.tab else escape(label))
        head = "".join(parts) + "  [dim]t next list[/]"
        if self.note:
            head += "\n" + self.note
        self.query_one("#head", Static).update(head)

    def show_tab(self, tab: str) -> None:
        self.query_one("#tabs", ContentSwitcher).current = tab
        self.headline()
        shown = self.query_one(f"#{tab}")
        (shown.table if isinstance(shown, RecordTable) else shown).focus()

    def action_next_tab(self) -> None:
        ids = [tab for tab, _ in self.TABS]
        self.show_tab(ids[(ids.index(self.tab) + 1) % len(ids)])

    def select_later(self, record: Any) -> None:
        """Put the cursor on `record` once it shows up in the list shown."""
        self.focus_key = record.id
        shown = self.query_one(f"#{self.tab}")
        if isinstance(shown, RecordTable) and shown.select(record.id):
            self.focus_key = None
