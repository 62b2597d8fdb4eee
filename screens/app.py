"""The magnet terminal app: opens the group off the UI thread, runs the sync node, hosts the areas.

Each area is a Textual mode with its own screen stack, so a half-filled form in one area waits
while the user jumps to crisis check-in (F2) and back. The app owns the only links to the world
outside the UI thread: the document listener, the poller, and the node's event callback; each
turns into a message, and screens hear about changes through the `doc_changed` signal.
"""

from __future__ import annotations

import gc
import os
import threading
import time
from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import Any, ClassVar

from textual import on, work
from textual.app import App
from textual.binding import Binding, BindingType
from textual.filter import LineFilter
from textual.message import Message
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.signal import Signal
from textual.timer import Timer
from textual.worker import get_current_worker

from magnet.datadir import GroupInfo
from magnet.document import DocChange
from magnet.errors import MagnetError
from magnet.home import Home
from screens.areas import AREA_BY_ID, AREAS, CRISIS_AREA, HOME_AREA
from screens.base import RELOAD_GAP
from screens.commands import MagnetCommands
from screens.drafts import Drafts, drafts_for
from screens.prefs import Prefs, load_prefs, save_prefs
from screens.session import Session
from screens.shown_lines import ControlCharacters
from screens.start import StartScreen
from screens.sync_link import NodeFactory, NodeNews, PeerView, SyncStatus, SyncUnavailable, default_node_factory
from screens.throttle import Throttle

# Collections start after this many allocations (Python's default, 700, runs one per few ms of a
# large screen's show; each young collection is cheap, each full one walks what is not frozen).
GC_THRESHOLDS = (20_000, 10, 10)
# The bench: append the time the first screen was usable and, when the whole document opened
# after it, that time too; then exit.
READY_FILE_ENV = "MAGNET_TUI_READY_FILE"
PEERS_REFRESH = 3.0


class MagnetApp(App[int]):
    """The whole app. `node_factory=None` runs without sync (tests, or by choice)."""

    TITLE = "magnet"
    CSS_PATH = ["app.tcss", "widgets.tcss"]  # noqa: RUF012 - Textual reads it as a class attribute
    COMMANDS = App.COMMANDS | {MagnetCommands}
    MODES: ClassVar[dict[str, Any]] = {"start": StartScreen}
    DEFAULT_MODE = "start"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f1", "help", "Help", priority=True, show=False),
        Binding("question_mark", "help", "Help", show=False),
        Binding("f2", "crisis", "Crisis check-in", priority=True, show=False),
        Binding("exclamation_mark", "crisis", "Crisis check-in", show=False),
        Binding("ctrl+b", "toggle_sidebar", "Sidebar", show=False),
        Binding("ctrl+o", "data", "Data in and out", show=False),
        Binding("ctrl+z", "undo", "Undo my last change", show=False),
        Binding("ctrl+q", "quit", "Quit", show=False),
        # Priority: the app moves focus before it hands on the next key of a burst (a fast typist,
        # a paste over SSH); otherwise keys after a Tab reach the field the Tab was leaving.
        Binding("tab", "focus_next", "Next field", priority=True, show=False),
        Binding("shift+tab", "focus_previous", "Previous field", priority=True, show=False),
        *[Binding(a.key, f"go('{a.id}')", a.title, show=False) for a in AREAS if a.key],
    ]

    class Opened(Message):
        def __init__(self, session: Session) -> None:
            super().__init__()
            self.session = session

    class OpenFailed(Message):
        def __init__(self, problem: str, info: GroupInfo | None = None, *, locked: bool = False) -> None:
            super().__init__()
            self.problem = problem
            self.info = info
            self.locked = locked

    class WholeOpened(Message):
        """The whole document behind a group shown from its read model is open (or `problem`)."""

        def __init__(self, session: Session, problem: str) -> None:
            super().__init__()
            self.session = session
            self.problem = problem

    class DocTouched(Message):
        """Something in the document changed; bursts coalesce into one refresh."""

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, MagnetApp.DocTouched)

    class NodeSaid(Message):
        def __init__(self, news: NodeNews) -> None:
            super().__init__()
            self.news = news

    class PeersRead(Message):
        def can_replace(self, message: Message) -> bool:
            return isinstance(message, MagnetApp.PeersRead)

        def __init__(self, peers: list[PeerView]) -> None:
            super().__init__()
            self.peers = peers

    class SyncProblem(Message):
        def __init__(self, problem: str) -> None:
            super().__init__()
            self.problem = problem

    def __init__(
        self,
        home: Home,
        group: str | None = None,
        *,
        node_factory: NodeFactory | None = default_node_factory,
        clock: Callable[[], datetime] = datetime.now,
    ) -> None:
        super().__init__()
        self.home = home
        self.group_ref = group
        self.node_factory = node_factory
        self.clock = clock
        self.prefs: Prefs = load_prefs(home.root)
        self.session: Session | None = None
        self.drafts: Drafts | None = None
        self.sync = SyncStatus()
        self.doc_changed: Signal[frozenset[str] | None] = Signal(self, "doc-changed")
        self.sync_changed: Signal[SyncStatus] = Signal(self, "sync-changed")
        self.ready_at: float | None = None
        self._touched: set[str] | None = set()
        self._shown_lines = ControlCharacters()
        self._touched_lock = threading.Lock()
        self._touch_due = False  # a DocTouched message is on its way to the UI thread
        self._stop_listening: Callable[[], None] | None = None
        # Each node event would repaint every top bar, the dashboard's group card and the peers
        # screen, visible or not: during a burst, at most once per RELOAD_GAP.
        self._tell_sync = Throttle(self, RELOAD_GAP, lambda: self.sync_changed.publish(self.sync)).soon
        self._peers_timer: Timer | None = None

    # ---- text from the document on the terminal ----------------------------------------------

    def get_line_filters(self) -> list[LineFilter]:
        """Textual's filters, then the one that shows control characters instead of sending them."""
        return [*super().get_line_filters(), self._shown_lines]

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """Notifications quote names from the document ("Ann Lee seen today"): plain text, never markup."""
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=False)

    # ---- starting ----------------------------------------------------------------------------

    def on_mount(self) -> None:
        if self.prefs.theme in self.available_themes:
            self.theme = self.prefs.theme
        self.start_screen.say("Looking for your groups…")
        groups = self.home.groups()
        last = next((g for g in groups if g.group_id == self.prefs.last_group), None)
        if not groups:
            self.start_screen.welcome()
        elif self.group_ref is None and len(groups) > 1 and last is not None:
            self.open_group(last)  # the group this device had open last time
        else:
            self.open_group(self.group_ref)

    @property
    def start_screen(self) -> StartScreen:
        stack = self._screen_stacks.get("start") or []
        screen = stack[0] if stack else None
        assert isinstance(screen, StartScreen)
        return screen

    def open_group(self, ref: str | GroupInfo | None, passphrase: str | None = None) -> None:
        """Open a group in a worker; the start screen shows progress meanwhile."""
        name = ref.name if isinstance(ref, GroupInfo) else (ref or "your group")
        self.start_screen.say(f"Opening {name}…")
        # Collections start less often: reading a group allocates enough to start dozens (x10:
        # the first screen's reads 1.0 -> 0.67 s), and so does a large sheet's show.
        gc.set_threshold(*GC_THRESHOLDS)
        self._open_worker(ref, passphrase)

    @work(thread=True, exclusive=True, group="open", exit_on_error=False)
    def _open_worker(self, ref: str | GroupInfo | None, passphrase: str | None) -> None:
        from magnet.readiness import readiness
        from magnet.store import read_header
        from magnet.unlock import PASSPHRASE_ENV, unlock

        info: GroupInfo | None = None
        try:
            info = ref if isinstance(ref, GroupInfo) else self.home.find(ref)
            secret = passphrase or os.environ.get(PASSPHRASE_ENV) or None
            if read_header(info.store_path).sealed and secret is None:
                self.post_message(self.OpenFailed("", info, locked=True))
                return
            info, cipher = unlock(self.home, info.group_id, secret or "")
            # A large group shows at once from its read model; its whole document opens after
            # the first screen (see _after_first_screen).
            group = self.home.begin_open(info, cipher=cipher)
            session = Session(group, clock=self.clock)
            # Read what the dashboard shows now, into the parts it keeps: its first paint redoes
            # only the check-ins and what is coming up.
            readiness(group.doc, now=session.now(), memo=session.readiness_memo)
        except MagnetError as exc:
            self.post_message(self.OpenFailed(str(exc), info))
            return
        except Exception as exc:  # a wrong passphrase surfaces as a crypto error
            self.post_message(self.OpenFailed(f"could not open the group: {exc}", info))
            return
        if get_current_worker().is_cancelled:
            session.close()
            return
        self.post_message(self.Opened(session))

    @work(thread=True, exclusive=True, group="values", exit_on_error=False)
    def _check_values(self, session: Session) -> None:
        """Values another program stored that do not fit their fields: said once, after the first screen."""
        from magnet.problems import find_problems

        problems = find_problems(session.doc)
        if not problems:
            return
        from magnet.safetext import shown

        count = len(problems)
        first = shown(problems[0].describe())  # a record's name is the document's text: shown, never obeyed
        self.call_from_thread(
            self.notify,
            f"{count} stored value{'s do' if count != 1 else ' does'} not fit {'their fields' if count != 1 else 'its field'} "
            f"(written by another program or version), e.g. {first}. magnet shows "
            f"{'them' if count != 1 else 'it'} as empty and keeps the stored value; 'magnet check' lists every one.",
            title="Values magnet cannot read",
            severity="warning",
            timeout=20,
            markup=False,
        )

    @on(OpenFailed)
    def _open_failed(self, message: OpenFailed) -> None:
        if message.locked and message.info is not None:
            self.start_screen.ask_passphrase(message.info)
            return
        self.start_screen.welcome(problem=message.problem)

    @on(Opened)
    async def _opened(self, message: Opened) -> None:
        session = message.session
        self.session = session
        info = session.group.info
        self.drafts = drafts_for(info.path, encrypted=info.encrypted)
        self._stop_listening = session.doc.add_listener(self._heard_change)
        session.checkin_since_hours = self.prefs.checkin_window
        if session.group.whole:
            self._go_live(session)
        for area in AREAS:
            if area.id in self._modes:
                await self.remove_mode(area.id)
            self.add_mode(area.id, partial(self._area_screen, area.id))
        await self.switch_mode(HOME_AREA)
        kept = self.drafts.all()
        if kept:
            titles = ", ".join(sorted({d.title for d in kept.values()}))
            self.notify(
                f"Not saved yet, kept from before: {titles}. Open the same form to go on.",
                title="Drafts",
                timeout=12,
            )
        self.save_prefs(self.prefs.edit(last_group=session.group.info.group_id))
        if self.ready_at is not None:
            self._after_first_screen(session)
        # else: once the first screen is usable (mark_ready), so opening the whole document and
        # starting the node do not compete with the first paint.
        self._peers_timer = self.set_interval(PEERS_REFRESH, self._refresh_peers, name="peers")

    def _area_screen(self, area_id: str) -> Screen[Any]:
        assert self.session is not None
        return AREA_BY_ID[area_id].load()(self.session)

    def mark_ready(self) -> None:
        """The first area finished painting with data: the app is usable."""
        if self.ready_at is not None:
            return
        self.ready_at = time.time()
        # The group's records, read once, live as long as the app: full collections need not walk
        # them again (x10: a gen-2 pause in the middle of a screen's show 170 -> 26 ms).
        gc.freeze()
        whole = self.session is None or self.session.group.whole
        if self.session is not None:
            self._after_first_screen(self.session)
        self._bench_mark(self.ready_at, final=whole)

    def _bench_mark(self, at: float, *, final: bool) -> None:
        path = os.environ.get(READY_FILE_ENV)
        if not path:
            return
        with open(path, "a") as out:
            out.write(f"{at:.6f}\n")
        if final:
            self.exit(0)

    def _after_first_screen(self, session: Session) -> None:
        if not session.values_checked:
            session.values_checked = True
            self._check_values(session)  # what the read model holds is what the document holds
        if not session.group.whole:
            session.on_whole = partial(self._whole_opened, session)
            if self.node_factory is not None and session.node is None:
                # The node's process holds the whole document anyway: this app's writes go to it
                # and it feeds every change back, so this process never loads the history.
                session.expect_node()
                self._start_node(session)
            elif not session.forwarding:
                session.open_whole()
            return
        if session.node is None:
            self._start_node(session)

    def _whole_opened(self, session: Session, problem: str) -> None:
        """Called on whichever thread opened the whole document (or could not)."""
        self.post_message(self.WholeOpened(session, problem))

    @on(WholeOpened)
    def _on_whole_opened(self, message: WholeOpened) -> None:
        session = message.session
        if session is not self.session:
            return  # closed or switched meanwhile
        self._bench_mark(time.time(), final=True)
        if message.problem:
            self.notify(
                f"The group's whole record could not be opened: {message.problem}. What is shown is "
                "as it was last saved; changes cannot be made until it opens.",
                title="Read only",
                severity="error",
                timeout=30,
                markup=False,
            )
            return
        self._go_live(session)
        self._after_first_screen(session)

    def _go_live(self, session: Session) -> None:
        """The whole document is open: say what its store repaired, and hear other processes."""
        for problem in session.group.report.problems:
            self.notify(problem, title="Store repaired", severity="warning", timeout=15)
        session.start_polling(self._heard_problem)

    # ---- the document ------------------------------------------------------------------------

    def _heard_change(self, change: DocChange) -> None:
        """Called on whichever thread changed the document (UI, poller, node)."""
        with self._touched_lock:
            if change.collections is None or self._touched is None:
                self._touched = None
            else:
                self._touched |= change.collections
            if self._touch_due:
                return  # one message carries every change until the UI thread takes them
            self._touch_due = True
        self.post_message(self.DocTouched())

    @on(DocTouched)
    def _doc_touched(self) -> None:
        with self._touched_lock:
            touched = None if self._touched is None else frozenset(self._touched)
            self._touched = set()
            self._touch_due = False
        self.doc_changed.publish(touched)

    # ---- the sync node -----------------------------------------------------------------------

    def _start_node(self, session: Session) -> None:
        if self.node_factory is None:
            self._sync_problem("sync is off for this session")
            return
        self.sync.problem = "starting sync…"
        self._node_worker(session, self.node_factory)

    @work(thread=True, exclusive=True, group="node", exit_on_error=False)
    def _node_worker(self, session: Session, factory: NodeFactory) -> None:
        try:
            node = session.start_node(factory, self._heard_node)
        except SyncUnavailable as exc:
            self.post_message(self.SyncProblem(str(exc)))
            if not session.group.whole:
                session.open_whole()  # no process to make the writes: this one opens the document
            return
        self.post_message(self.NodeSaid(NodeNews("listening", detail=f"port {node.port}")))
        if session.forwarding:
            self.call_from_thread(self._bench_mark, time.time(), final=True)  # writes can be made now
        elif not session.group.whole:
            session.open_whole()  # a node that does not make writes: this process opens the document

    def _heard_problem(self, problem: str) -> None:
        """Called on the poller's thread."""
        self.post_message(self.SyncProblem(problem))

    def _heard_node(self, event: Any) -> None:
        """Called on the node's thread."""
        self.post_message(self.NodeSaid(NodeNews.of(event)))

    def _sync_problem(self, problem: str) -> None:
        self.sync.running = False
        self.sync.problem = problem
        self._tell_sync()

    @on(SyncProblem)
    def _on_sync_problem(self, message: SyncProblem) -> None:
        if self.session is not None and self.session.node is None:
            self._sync_problem(message.problem)
        else:
            self.notify(message.problem, severity="warning", timeout=10)

    @on(NodeSaid)
    def _node_said(self, message: NodeSaid) -> None:
        news = message.news
        if news.kind == "listening" and self.session is not None and self.session.node is not None:
            self.sync.port = self.session.node.port
        self.sync.hear(news)
        if news.kind == "rejected":
            self.notify(f"Refused {news.peer or 'a device'}: {news.detail}", severity="warning", timeout=6)
        self._tell_sync()

    def _refresh_peers(self) -> None:
        if self.session is not None and self.session.node is not None:
            self._peers_worker(self.session)

    @work(thread=True, exclusive=True, group="peers", exit_on_error=False)
    def _peers_worker(self, session: Session) -> None:
        node = session.node
        if node is None:
            return
        try:
            peers = [PeerView.of(p) for p in node.peers()]
        except Exception as exc:
            self.post_message(self.SyncProblem(f"sync: {exc}"))
            return
        self.post_message(self.PeersRead(peers))

    @on(PeersRead)
    def _peers_read(self, message: PeersRead) -> None:
        self.sync.take_peers(message.peers)
        self._tell_sync()

    def add_peer(self, address: str) -> None:
        """Dial a peer by address (the node does it on its own thread)."""
        node = self.session.node if self.session is not None else None
        if node is None:
            raise MagnetError(f"sync is not running: {self.sync.problem or 'no node'}")
        node.add_peer(address)

    # ---- navigation and actions --------------------------------------------------------------

    def go(self, area: str) -> None:
        if self.session is None:
            self.notify("Open or create a group first", severity="warning")
            return
        if area not in AREA_BY_ID:
            return
        self.switch_mode(area)

    def action_go(self, area: str) -> None:
        self.go(area)

    def action_crisis(self) -> None:
        self.go(CRISIS_AREA)

    def action_help(self) -> None:
        from screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    def action_undo(self) -> None:
        """Offer this device's latest changes, newest first, and undo the one picked."""
        from screens.history import undo_latest

        if self.session is None:
            return
        self.run_worker(undo_latest(self, self.session), group="undo", exclusive=True)

    def action_data(self) -> None:
        """Exports, printing, imports and USB bundles, from anywhere."""
        from screens.data import open_data

        open_data(self)

    def action_toggle_sidebar(self) -> None:
        self.save_prefs(self.prefs.edit(sidebar=not self.prefs.sidebar))
        for stack in self._screen_stacks.values():
            for screen in stack:
                for sidebar in screen.query("#sidebar"):
                    sidebar.display = self.prefs.sidebar

    def save_prefs(self, prefs: Prefs) -> None:
        self.prefs = prefs
        save_prefs(self.home.root, prefs)

    def watch_theme(self, theme: str) -> None:
        if theme != self.prefs.theme and self.is_running:
            self.save_prefs(self.prefs.edit(theme=theme))

    async def close_group(self) -> None:
        """Back to the start screen with no group open (before opening another)."""
        await self.switch_mode("start")
        for area in AREAS:
            if area.id in self._modes:
                await self.remove_mode(area.id)
        session, self.session = self.session, None
        self.drafts = None
        if self._stop_listening is not None:
            self._stop_listening()
            self._stop_listening = None
        if self._peers_timer is not None:
            self._peers_timer.stop()
            self._peers_timer = None
        self.sync = SyncStatus()
        if session is not None:
            await self._close_in_thread(session)

    async def switch_group(self, info: GroupInfo | None) -> None:
        """Close this group and open another (None: the welcome screen, to make or join one)."""
        await self.close_group()
        if info is None:
            self.start_screen.welcome()
        else:
            self.open_group(info)

    async def _close_in_thread(self, session: Session) -> None:
        import asyncio

        await asyncio.to_thread(session.close)

    async def action_quit(self) -> None:
        if self.session is not None:
            session, self.session = self.session, None
            self.start_screen.say("Saving and stopping sync…")
            await self._close_in_thread(session)
        self.exit(0)

    def on_unmount(self) -> None:
        if self.session is not None:
            self.session.close()


def run_app(home: Home, group: str | None) -> int:
    """`magnet` with no command: the terminal app."""
    from magnet.safelog import guard_logging

    guard_logging()  # what the sync engine warns about after the app has closed is shown, never obeyed
    app = MagnetApp(home, group)
    try:
        code = app.run()
    finally:
        if app.session is not None:
            app.session.close()
    return code or 0
