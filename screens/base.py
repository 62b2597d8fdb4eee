"""What every area screen shares: the frame (top bar, sidebar, footer) and live data loading.

An area screen says how to `load` its data (on a worker thread: Automerge reads hold the GIL)
and how to `show` it (on the UI thread). It reloads when the collections it `WATCHES` change,
right away when visible (also under a modal form), otherwise when next shown.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Protocol, TypeVar, cast

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.dom import DOMNode
from textual.message import Message
from textual.screen import Screen
from textual.signal import Signal
from textual.worker import get_current_worker

from magnet.errors import MagnetError
from magnet.record import Record
from screens.session import Session
from screens.throttle import Throttle
from screens.widgets.keyfooter import KeyFooter
from screens.widgets.sidebar import Sidebar
from screens.widgets.topbar import TopBar

# The least time between two reloads a stream of changes causes; a lone change reloads at once.
RELOAD_GAP = 0.25

if TYPE_CHECKING:
    from screens.prefs import Prefs
    from screens.sync_link import SyncStatus

D = TypeVar("D")
T = TypeVar("T")
R = TypeVar("R", bound=Record)


class Shell(Protocol):
    """The app as screens and widgets see it (the App implements this)."""

    session: Session | None
    sync: SyncStatus
    prefs: Prefs
    doc_changed: Signal[frozenset[str] | None]
    sync_changed: Signal[SyncStatus]

    def go(self, area: str) -> None: ...

    def save_prefs(self, prefs: Prefs) -> None: ...


def shell(node: DOMNode) -> Shell:
    return cast(Shell, node.app)


class AreaScreen(Screen[None], Generic[D]):
    """One area of the app, in its own mode (so its stack keeps a half-filled form)."""

    AREA: ClassVar[str] = ""
    TITLE_TEXT: ClassVar[str] = ""
    HELP: ClassVar[str] = ""
    # Collections whose changes make this screen reload; None for every change.
    WATCHES: ClassVar[frozenset[str] | None] = None
    AUTO_FOCUS = "#body DataTable"

    class Loaded(Message):
        """Data read on a worker thread, ready to show."""

        def __init__(self, data: object) -> None:
            super().__init__()
            self.data = data

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session
        self._stale = True
        self.loaded_once = False
        # A peer pushing thousands of edits reports each one; reading and redrawing a long list
        # for every one of them would keep the screen from answering keys.
        self._reloads = Throttle(self, RELOAD_GAP, self.reload)

    # ---- the frame ---------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield TopBar(self.session.name, self.TITLE_TEXT)
        with Horizontal(id="frame"):
            yield Sidebar(self.AREA)
            with Vertical(id="body"):
                yield from self.compose_body()
        yield KeyFooter()

    def compose_body(self) -> Iterator[Any]:
        raise NotImplementedError

    # ---- live data ---------------------------------------------------------------------------

    def on_mount(self) -> None:
        shell(self).doc_changed.subscribe(self, self._doc_changed)
        self.reload()

    def _doc_changed(self, collections: frozenset[str] | None) -> None:
        if self.WATCHES is not None and collections is not None and not (collections & self.WATCHES):
            return
        if self in self.app.screen_stack:
            self._reloads.soon()
        else:
            self._stale = True

    def on_screen_resume(self) -> None:
        if self._stale:
            self.reload()

    def reload(self) -> None:
        """Read the data again off the UI thread; the newest request wins."""
        self._stale = False
        self._reloads.ran()
        self._load_worker()

    @work(thread=True, exclusive=True, group="load", exit_on_error=False)
    def _load_worker(self) -> None:
        data = self.load()
        if not get_current_worker().is_cancelled:
            self.post_message(self.Loaded(data))

    @on(Loaded)
    def _on_loaded(self, message: Loaded) -> None:
        message.stop()
        self.show(cast(D, message.data))
        self.loaded_once = True

    def load(self) -> D:
        """Read what the screen shows (worker thread: no widgets here)."""
        raise NotImplementedError

    def show(self, data: D) -> None:
        """Put freshly loaded data on screen (UI thread)."""
        raise NotImplementedError

    def focus_on(self, search: str) -> None:
        """Show the main list narrowed by `search`, as if typed (how the dashboard leads here)."""
        from screens.widgets.record_table import RecordTable

        table: RecordTable[Any] | None = next(iter(self.query(RecordTable)), None)  # the first list is the main one
        if table is None:
            return
        table.search.value = search
        table.resort()
        table.table.focus()

    # ---- writing -----------------------------------------------------------------------------

    class Wrote(Message):
        """A write finished on the writer thread (or failed)."""

        def __init__(self, result: object, error: BaseException | None, then: Callable[[Any], None] | None) -> None:
            super().__init__()
            self.result = result
            self.error = error
            self.then = then

    def write(self, action: Callable[[], T], then: Callable[[T], None] | None = None) -> None:
        """Run a change off the UI thread, in order; `then` gets its result back on the UI thread."""
        future = self.session.submit(action)

        def done(finished: Future[T]) -> None:
            error = finished.exception()
            self.post_message(self.Wrote(None if error else finished.result(), error, then))

        future.add_done_callback(done)

    @on(Wrote)
    def _on_wrote(self, message: Wrote) -> None:
        message.stop()
        if message.error is not None:
            if isinstance(message.error, MagnetError):
                self.fail(message.error)
            else:
                self.notify(f"{type(message.error).__name__}: {message.error}", title="Not saved", severity="error")
        elif message.then is not None:
            message.then(message.result)

    # ---- records: add, edit, archive ---------------------------------------------------------

    def open_form(
        self,
        record_type: type[R],
        record: R | None = None,
        *,
        fields: Sequence[str] | None = None,
        defaults: Mapping[str, Any] | None = None,
        title: str | None = None,
        then: Callable[[R], None] | None = None,
    ) -> None:
        """Add (record None) or edit a record with a form built from its fields."""
        from screens.widgets.record_form import RecordForm

        collection = self.session.doc.collection(record_type)

        def saved(values: dict[str, Any] | None) -> None:
            if values is None:
                return
            if record is None:
                self.write(lambda: collection.add(**values), then)
            else:
                self.write(lambda: collection.update(record.id, **values), then)

        form = RecordForm(self.session.doc, record_type, record, fields=fields, defaults=defaults, title=title)
        self.app.push_screen(form, saved)

    def open_detail(
        self,
        record: Record,
        *,
        fields: Sequence[str] | None = None,
        related: Callable[[Any, Any], list[str]] | None = None,
    ) -> None:
        """Enter on a row: the record's details (e edits there, h shows its history)."""
        from screens.record_detail import RecordDetail

        self.app.push_screen(RecordDetail(self.session, type(record), record.id, fields=fields, related=related))

    def confirm_archive(self, record: Record, then: Callable[[Record], None] | None = None) -> None:
        """Archive (or restore an archived) record after asking; it stays in history either way."""
        from screens.widgets.modals import ConfirmModal

        collection = self.session.doc.collection(type(record))
        noun = record.NOUN
        if record.archived:
            question = f"Restore the {noun} {record.title!r}?"
        else:
            question = f"Archive the {noun} {record.title!r}? It disappears from lists but stays in the history; A shows archived records, and it can be restored."

        def answered(yes: bool | None) -> None:
            if not yes:
                return
            if record.archived:
                self.write(lambda: collection.restore(record.id), then)
            else:
                self.write(lambda: collection.archive(record.id), then)
            self.notify(f"{'Restored' if record.archived else 'Archived'} {record.title}", timeout=3)

        self.app.push_screen(ConfirmModal(question, yes="Restore" if record.archived else "Archive"), answered)

    # ---- helpers -----------------------------------------------------------------------------

    def fail(self, exc: BaseException) -> None:
        """A write the user asked for did not happen: say why, in one line."""
        self.notify(str(exc), title="Not saved", severity="error", timeout=8)
