"""Data in and out (ctrl+o, d on Settings, or the palette): every export and import the command line has.

Groups start from spreadsheets and group chats, and in an outage paper and USB sticks still work,
so a member who never opens a terminal prompt can still print the binder, hand contacts to a phone
or carry the group to a laptop that cannot sync. This menu only chooses; the export and import
modals do the work (off the UI thread) and say what they wrote or changed.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar, cast

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from screens.data_files import EXPORT_BY_ID, EXPORTS
from screens.session import Session
from screens.widgets.topbar import StatusLine

if TYPE_CHECKING:
    from textual.app import App

    from screens.base import Shell

IMPORT_CSV = "import-csv"
IMPORT_BUNDLE = "import-bundle"
IMPORTS: tuple[tuple[str, str, str], ...] = (
    (
        IMPORT_CSV,
        "Import a spreadsheet (CSV) or contacts (vCard)",
        "Members, households, inventory, partners or events; phone and mail contacts; every row checked",
    ),
    (IMPORT_BUNDLE, "Merge a bundle from a USB stick", "Another device's copy of the group; shows what changed"),
)


class DataMenu(ModalScreen[None]):
    """Pick an export or an import; the chosen modal opens over this one, Escape comes back."""

    DEFAULT_CSS = """
    DataMenu #data-menu { height: auto; max-height: 17; border: none; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "close", "Close")]

    def __init__(self, session: Session) -> None:
        super().__init__(classes="small-modal")
        self.session = session

    def compose(self) -> ComposeResult:
        yield StatusLine("Data in and out")
        with Vertical(classes="dialog"):
            yield Static("Data in and out", classes="dialog-text")
            options: list[Option] = [Option("Write a file", disabled=True)]
            options += [Option(f"  {choice.title}", id=choice.id) for choice in EXPORTS]
            options += [Option("Bring data in", disabled=True)]
            options += [Option(f"  {title}", id=key) for key, title, _ in IMPORTS]
            yield OptionList(*options, id="data-menu")
            yield Static("Enter chooses · Escape closes", classes="dialog-hint")

    def on_mount(self) -> None:
        menu = self.query_one("#data-menu", OptionList)
        menu.focus()
        menu.highlighted = 1

    @on(OptionList.OptionSelected, "#data-menu")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            open_data(self.app, event.option.id)

    def action_close(self) -> None:
        self.dismiss(None)


def open_data(app: App[Any], what: str = "") -> None:
    """Open the menu (`what` empty), one export by its id, or one of the imports."""
    from screens.data_export import ExportModal
    from screens.data_import import ImportModal

    session = cast("Shell", app).session
    if session is None:
        app.notify("Open or create a group first", severity="warning")
        return
    if what in EXPORT_BY_ID:
        app.push_screen(ExportModal(session, EXPORT_BY_ID[what]))
    elif what in (IMPORT_CSV, IMPORT_BUNDLE):
        app.push_screen(ImportModal(session, bundle=what == IMPORT_BUNDLE))
    else:
        app.push_screen(DataMenu(session))


def data_commands(app: App[Any]) -> list[tuple[str, Callable[[], Any], str]]:
    """Palette entries, one per export and import, for the app-wide command provider."""
    if cast("Shell", app).session is None:
        return []
    commands: list[tuple[str, Callable[[], Any], str]] = [
        (f"Export: {c.title}", partial(open_data, app, c.id), c.about) for c in EXPORTS
    ]
    commands += [(title, partial(open_data, app, key), about) for key, title, about in IMPORTS]
    return commands
