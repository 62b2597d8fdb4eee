"""Bringing a spreadsheet or a phone's contacts in, or merging a bundle from a USB stick, and showing what happened.

A spreadsheet is imported whole or not at all, as `magnet import` does: when some rows have
problems, nothing changes, each bad row is listed with its line in the file, and g imports the
good rows instead (the command line's --skip-invalid); rows that look like people already in the
group are listed too, and a imports them anyway (--allow-duplicates). The report says how the file
was read: its encoding, separator, and the date order and decimal mark settled for its columns.
A magnet export edited in a spreadsheet and brought back lists the cells it will change before
anything is written; y applies them. A bundle is merged and the report says which records it added
or changed; another group's bundle is refused with both groups' names. Imports run on the
session's writer thread, in order with every other change.
"""

from __future__ import annotations

from concurrent.futures import Future
from pathlib import Path
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.events import Key
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, ContentSwitcher, Input, OptionList, Select, Static
from textual.widgets.option_list import Option

from magnet.errors import MagnetError
from magnet.formats.importing import BUNDLE_SUFFIXES
from magnet.groupkey import KeyRing
from screens.data_files import (
    IMPORT_KINDS,
    SPREADSHEET_SUFFIXES,
    ImportReport,
    apply_plan,
    import_candidates,
    import_from,
    shown,
    typed_path,
    usual_folders,
)
from screens.session import Session
from screens.widgets.topbar import StatusLine

GUESS = "guess"


class ImportModal(ModalScreen[None]):
    """Import a CSV (`bundle=False`) or merge a bundle; Enter imports, g imports the good rows."""

    DEFAULT_CSS = """
    ImportModal .dialog { height: 100%; }
    ImportModal .data-row { height: 1; margin-bottom: 1; }
    ImportModal .data-label { width: 6; color: $text-muted; }
    ImportModal #import-path { width: 1fr; }
    ImportModal #import-kind { width: 30; }
    ImportModal #import-views { height: 1fr; }
    ImportModal #import-nearby { height: 1fr; }
    ImportModal .data-label-wide { color: $text-muted; }
    ImportModal #import-files { height: 1fr; border: none; }
    ImportModal #import-headline { text-style: bold; }
    ImportModal #import-headline.problem { color: $error; }
    ImportModal #import-headline.done { color: $success; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close"),
        Binding("g", "good_rows", "Import the good rows", show=False),
        Binding("a", "with_duplicates", "Import duplicates too", show=False),
        Binding("y", "apply", "Apply the changes", show=False),
    ]

    class Reported(Message):
        def __init__(self, report: ImportReport) -> None:
            super().__init__()
            self.report = report

    class Found(Message):
        def __init__(self, files: list[Path]) -> None:
            super().__init__()
            self.files = files

    def __init__(self, session: Session, *, bundle: bool = False, folders: list[Path] | None = None) -> None:
        super().__init__(classes="small-modal")
        self.session = session
        self.bundle = bundle
        self.folders = folders
        self.busy = False
        self.report: ImportReport | None = None
        self.last: tuple[str, str | None] | None = None  # the path and kind of the last import tried
        self.allow_duplicates = False

    def compose(self) -> ComposeResult:
        title = "Merge a bundle from a USB stick" if self.bundle else "Import a spreadsheet (CSV) or contacts (vCard)"
        folder = (self.folders or [Path.home()])[0]
        yield StatusLine("Data in and out")
        with Vertical(classes="dialog"):
            yield Static(title, classes="dialog-text", markup=False)
            with Horizontal(classes="data-row"):
                yield Static("File", classes="data-label")
                yield Input(shown(folder) + "/", id="import-path", compact=True)
            if not self.bundle:
                with Horizontal(classes="data-row"):
                    yield Static("Kind", classes="data-label")
                    yield Select(
                        [("guess from the headers", GUESS), *[(kind, kind) for kind in IMPORT_KINDS]],
                        value=GUESS,
                        allow_blank=False,
                        id="import-kind",
                        compact=True,
                    )
            with ContentSwitcher(initial="import-nearby", id="import-views"):
                with Vertical(id="import-nearby"):
                    yield Static("Found nearby (↓ then Enter picks one):", classes="data-label-wide", markup=False)
                    yield OptionList(id="import-files", markup=False)
                with VerticalScroll(id="import-report"):
                    yield Static("", id="import-headline", markup=False)
                    yield Static("", id="import-lines", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Merge" if self.bundle else "Import", variant="primary", id="import-go", compact=True)
                if not self.bundle:
                    yield Button("Good rows only (g)", id="import-good", compact=True, disabled=True)
                    yield Button("Duplicates too (a)", id="import-dups", compact=True, disabled=True)
                    yield Button("Apply (y)", id="import-apply", compact=True, disabled=True)
                yield Button("Close", id="import-close", compact=True)
            yield Static("Enter imports · Tab moves · Escape closes", classes="dialog-hint", markup=False)

    def on_mount(self) -> None:
        path = self.query_one("#import-path", Input)
        path.focus()
        path.cursor_position = len(path.value)
        self._look_for_files(self.folders)

    # ---- files nearby ------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="import-files", exit_on_error=False)
    def _look_for_files(self, folders: list[Path] | None) -> None:
        suffixes = BUNDLE_SUFFIXES if self.bundle else SPREADSHEET_SUFFIXES
        self.post_message(self.Found(import_candidates(folders or usual_folders(), suffixes)))

    @on(Found)
    def _found(self, message: Found) -> None:
        files = self.query_one("#import-files", OptionList)
        files.clear_options()
        files.add_options([Option(shown(p), id=str(p)) for p in message.files])
        if not message.files:
            what = "bundles (.mgb)" if self.bundle else "spreadsheets (.csv) or contacts (.vcf)"
            files.add_option(
                Option(f"(no {what} in the home folder, Downloads or a stick: type the path)", disabled=True)
            )

    @on(OptionList.OptionSelected, "#import-files")
    def _file_picked(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self.query_one("#import-path", Input).value = shown(Path(event.option.id))
            self.query_one("#import-go", Button).focus()

    def on_key(self, event: Key) -> None:
        """Down from the path goes to the files found, as in the app's pick lists."""
        files = self.query_one("#import-files", OptionList)
        if event.key == "down" and self.query_one("#import-path", Input).has_focus and files.option_count:
            event.stop()
            self.query_one("#import-views", ContentSwitcher).current = "import-nearby"
            files.focus()
            if files.highlighted is None:
                files.highlighted = 0

    # ---- importing ---------------------------------------------------------------------------

    @property
    def kind(self) -> str | None:
        if self.bundle:
            return None
        value = self.query_one("#import-kind", Select).value
        return None if value == GUESS else str(value)

    @on(Input.Submitted, "#import-path")
    @on(Button.Pressed, "#import-go")
    def start(self) -> None:
        self.allow_duplicates = False
        self.run_import(self.query_one("#import-path", Input).value, self.kind, skip_invalid=False)

    def action_good_rows(self) -> None:
        if self.report is not None and self.report.good_rows and self.last is not None:
            self.run_import(self.last[0], self.last[1], skip_invalid=True)

    def action_with_duplicates(self) -> None:
        if self.report is not None and self.report.duplicates and self.last is not None:
            self.allow_duplicates = True
            self.run_import(self.last[0], self.last[1], skip_invalid=False)

    def action_apply(self) -> None:
        """Apply the changes a brought-back export lists (decided again against the group now)."""
        plan = self.report.pending if self.report is not None else None
        if plan is None or self.busy:
            return
        self.busy = True
        self.show_report(ImportReport("Applying…"))
        self.session.submit(lambda: apply_plan(plan)).add_done_callback(self._finished)

    @on(Button.Pressed, "#import-good")
    def _good_pressed(self) -> None:
        self.action_good_rows()

    @on(Button.Pressed, "#import-dups")
    def _dups_pressed(self) -> None:
        self.action_with_duplicates()

    @on(Button.Pressed, "#import-apply")
    def _apply_pressed(self) -> None:
        self.action_apply()

    def run_import(self, path_text: str, kind: str | None, *, skip_invalid: bool) -> None:
        if self.busy:
            return
        try:
            path = typed_path(path_text)
        except MagnetError as exc:
            self.show_report(ImportReport(str(exc), ok=False))
            return
        self.busy = True
        self.last = (path_text, kind)
        self.show_report(ImportReport("Importing…" if not self.bundle else "Merging…"))
        doc = self.session.doc
        where = self.session.group.path

        allow = self.allow_duplicates

        def run() -> ImportReport:
            return import_from(
                doc,
                path,
                kind=kind,
                skip_invalid=skip_invalid,
                allow_duplicates=allow,
                keys=lambda: KeyRing.load(where),
                confirm_changes=True,
            )

        self.session.submit(run).add_done_callback(self._finished)

    def _finished(self, future: Future[ImportReport]) -> None:  # on the writer thread
        error = future.exception()
        if error is None:
            report = future.result()
        elif isinstance(error, MagnetError):
            report = ImportReport(f"Not imported: {error}", ok=False)
        else:
            report = ImportReport(f"Not imported: {type(error).__name__}: {error}", ok=False)
        self.post_message(self.Reported(report))

    @on(Reported)
    def _reported(self, message: Reported) -> None:
        self.busy = False
        report = message.report
        self.show_report(report)
        for selector, wanted in (("#import-apply", report.pending), ("#import-good", report.good_rows)):
            found = self.query(selector)
            if wanted and found:
                found.first(Button).focus()
                break

    def show_report(self, report: ImportReport) -> None:
        self.report = report
        self.query_one("#import-views", ContentSwitcher).current = "import-report"
        headline = self.query_one("#import-headline", Static)
        headline.update(report.headline)
        headline.set_class(not report.ok, "problem")
        headline.set_class(report.changed, "done")
        lines = list(report.lines)
        if report.good_rows:
            lines += ["", f"Nothing changed. g imports the {report.good_rows} good rows and skips these."]
        if report.duplicates:
            lines += [f"a imports the {report.duplicates} rows that look like duplicates too."]
        self.query_one("#import-lines", Static).update("\n".join(lines))
        for good in self.query("#import-good").results(Button):
            good.disabled = not report.good_rows
            good.label = f"The {report.good_rows} good rows (g)" if report.good_rows else "Good rows only (g)"
        for button in self.query("#import-dups").results(Button):
            button.disabled = not report.duplicates
        for button in self.query("#import-apply").results(Button):
            button.disabled = report.pending is None

    @on(Button.Pressed, "#import-close")
    def action_close(self) -> None:
        if self.busy:  # the import goes on either way; closing now would hide what it did
            self.notify("Still importing: the report shows here in a moment", timeout=3)
            return
        self.dismiss(None)
