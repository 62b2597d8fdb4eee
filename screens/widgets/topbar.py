"""The top line: the group, the area, whether changes are saved, and the peers indicator."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, cast

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.events import Click
from textual.widget import Widget
from textual.widgets import Static

from magnet.safetext import shown

if TYPE_CHECKING:
    from screens.base import Shell
    from screens.sync_link import SyncStatus


def ago(when: datetime | None, now: datetime | None = None) -> str:
    """'just now', '5 min ago', '3 h ago', '2 d ago' (or 'never')."""
    if when is None:
        return "never"
    seconds = ((now or datetime.now()) - when).total_seconds()
    if seconds < 45:
        return "just now"
    if seconds < 3600:
        return f"{round(seconds / 60)} min ago"
    if seconds < 86400:
        return f"{round(seconds / 3600)} h ago"
    return f"{round(seconds / 86400)} d ago"


def describe_sync(status: SyncStatus, now: datetime | None = None) -> tuple[str, str]:
    """The indicator's text and its style class: 'online', 'idle' or 'offline'."""
    if not status.running:
        return "○ offline · sync not running", "offline"
    count = status.connected
    peers = f"{count} peer{'s' if count != 1 else ''}"
    if count == 0:
        return f"◌ 0 peers · last sync {ago(status.last_sync, now)}", "idle"
    # Connected and idle means up to date this very moment; "synced 2 min ago" would read as stale.
    if any(p.connected and p.state != "synced" for p in status.peers):
        return f"● {peers} · syncing…", "online"
    return f"● {peers} · in sync", "online"


class PeersIndicator(Static):
    """Connected peers and the last sync, always visible; a click opens the peers screen."""

    _shown: tuple[str, str] = ("", "")

    def on_mount(self) -> None:
        shell = cast("Shell", self.app)
        shell.sync_changed.subscribe(self, self.show_status)
        self.show_status(shell.sync)
        self.set_interval(15, lambda: self.show_status(cast("Shell", self.app).sync))

    def show_status(self, status: SyncStatus) -> None:
        """Repaint only what changed: a class change restyles the screen, and a sync reports often."""
        text, state = describe_sync(status)
        if (text, state) == self._shown:
            return
        if text != self._shown[0]:
            self.update(text)
        if state != self._shown[1]:
            self.remove_class("online", "idle", "offline")
            self.add_class(state)
        self._shown = (text, state)

    def on_click(self, event: Click) -> None:
        cast("Shell", self.app).go("peers")


class StatusLine(Horizontal):
    """The top line over a modal: what is open, and the peers indicator."""

    def __init__(self, what: str = "") -> None:
        super().__init__(classes="status-line")
        self.what = what

    def compose(self) -> ComposeResult:
        yield Static(self.what, classes="status-spacer", markup=False)
        yield PeersIndicator(classes="peers-indicator")


class Where(Widget):
    """'Group · Area': the group's name gives way first, since the area tells people where they are."""

    def __init__(self, group: str, area: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.group = group
        self.area = area

    def render(self) -> Text:
        room = self.content_size.width
        area = Text(self.area, style="bold")
        if not self.group:
            return area
        left = room - len(self.area) - 3
        name = shown(self.group)
        group = name if len(name) <= left else name[: max(left - 1, 0)] + "…"
        if left < 2:
            return area
        return Text.assemble(group, " · ", area)


class TopBar(Horizontal):
    def __init__(self, group: str, area: str) -> None:
        super().__init__(id="topbar")
        self.group = group
        self.area = area

    def compose(self) -> ComposeResult:
        yield Where(self.group, self.area, id="where")
        yield Static("[b]F1[/] help [b]F2[/] crisis", id="keys-hint", markup=True)
        yield PeersIndicator(id="peers-indicator", classes="peers-indicator")
