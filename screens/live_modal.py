"""A modal over an area that stays live: reads off the UI thread, reloads on changes, writes in order."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Static
from textual.worker import get_current_worker

from magnet.errors import MagnetError
from screens.session import Session
from screens.widgets.keyfooter import KeyFooter
from screens.widgets.topbar import StatusLine

if TYPE_CHECKING:
    from screens.base import Shell

D = TypeVar("D")
T = TypeVar("T")


class LiveModal(ModalScreen[None], Generic[D]):
    """Subclasses say how to `load` (worker thread) and `show` (UI thread) their data."""

    class Loaded(Message):
        def __init__(self, data: object) -> None:
            super().__init__()
            self.data = data

    class Wrote(Message):
        def __init__(self, result: object, error: BaseException | None, then: Callable[[Any], None] | None) -> None:
            super().__init__()
            self.result = result
            self.error = error
            self.then = then

    def __init__(self, session: Session, *, classes: str = "info-modal detail") -> None:
        super().__init__(classes=classes)
        self.session = session
        self.data: D | None = None

    def on_mount(self) -> None:
        cast("Shell", self.app).doc_changed.subscribe(self, lambda _: self.reload())
        self.reload()

    def reload(self) -> None:
        self._load_worker()

    @work(thread=True, exclusive=True, group="live-modal", exit_on_error=False)
    def _load_worker(self) -> None:
        data = self.load()
        if not get_current_worker().is_cancelled:
            self.post_message(self.Loaded(data))

    @on(Loaded)
    def _loaded(self, message: Loaded) -> None:
        message.stop()
        self.data = cast(D, message.data)
        self.show(self.data)

    def load(self) -> D:
        raise NotImplementedError

    def show(self, data: D) -> None:
        raise NotImplementedError

    def write(self, action: Callable[[], T], then: Callable[[T], None] | None = None) -> None:
        def done(finished: Future[T]) -> None:
            error = finished.exception()
            self.post_message(self.Wrote(None if error else finished.result(), error, then))

        self.session.submit(action).add_done_callback(done)

    @on(Wrote)
    def _wrote(self, message: Wrote) -> None:
        message.stop()
        if message.error is not None:
            text = str(message.error) if isinstance(message.error, MagnetError) else repr(message.error)
            self.notify(text, title="Not saved", severity="error", timeout=8)
        elif message.then is not None:
            message.then(message.result)

    def action_close(self) -> None:
        self.dismiss(None)


class DetailModal(LiveModal[D]):
    """A live record detail: a title line over a scrolling body, filled by `show`."""

    def compose(self) -> ComposeResult:
        yield StatusLine()
        with Vertical(classes="dialog"):
            yield Static("", classes="dialog-text", id="detail-title")
            with VerticalScroll(classes="info-body", id="detail-scroll"):
                yield Static("Loading…", classes="info-text", id="detail-body")
        yield KeyFooter()

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#detail-scroll").focus()
