"""The invite on screen: the long code and its QR, and on request a short code to read out and type.

A long code can be scanned or pasted; a short one (42-K4ZQ-7M2P) is for the neighbour whose phone
cannot scan and who will not type sixty characters. It is a SPAKE2 password, never a key, lives
15 minutes, works once, and works only on this network, where the node advertises its nameplate.
Its expiry is counted down on screen, so nobody reads out a code that already lapsed.

The QR code gets a screen of its own (q): at 80x24 it needs about 20 of the 24 rows, with the
narrowest quiet zone a scanner accepts (one module, checked with zbarimg by the tests).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Center, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Static

from magnet.errors import MagnetError
from magnet.home import OpenGroup
from magnet.safetext import shown
from screens.invites import InviteView, ShortInviteView, create_short_invite
from screens.markup import escape
from screens.widgets.modals import InfoModal
from screens.widgets.topbar import StatusLine

NOT_RUNNING = "Sync is not running here: the new device can join only while this device runs sync (or 'magnet serve')."


def long_invite_text(invite: InviteView, *, running: bool) -> str:
    expires = datetime.fromtimestamp(invite.expires_at).strftime("%a %d %b %H:%M")
    where = ", ".join(invite.addresses) or "found by discovery on this network"
    warning = "" if running else f"\n{NOT_RUNNING}\n"
    return (
        f"On the new device: magnet → Join with an invite, or 'magnet join' (it asks for the code).\n"
        f"One use, until {expires}. Reach this device at: {where}{warning}\n\n"
        f"{invite.code}\n"
    )


def short_code_text(short: ShortInviteView, now: float) -> str:
    """The code, big enough to read out, and how long it still works."""
    left = short.expires_at - now
    until = datetime.fromtimestamp(short.expires_at).strftime("%H:%M")
    if left <= 0:
        state = f"[b red]expired at {until}[/]: s makes a new one"
    else:
        minutes, seconds = divmod(int(left), 60)
        state = f"valid until [b]{until}[/] ({minutes}:{seconds:02d} left)"
    return (
        f"Short code  [b reverse] {escape(short.code)} [/]  {state}\n"
        "[dim]Type it on the new device: Join with an invite, or 'magnet join' (it asks for the code). One use, same network.[/]"
    )


class InviteModal(InfoModal):
    """The long invite (or none yet) and, after s, a short code with its countdown."""

    DEFAULT_CSS = """
    InviteModal #short-code { height: auto; margin-bottom: 1; display: none; }
    InviteModal #short-code.shown { display: block; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "show_qr", "QR code"),
        Binding("s", "short", "Short code"),
    ]

    class ShortMade(Message):
        def __init__(self, short: ShortInviteView | None, problem: str = "") -> None:
            super().__init__()
            self.short = short
            self.problem = problem

    def __init__(
        self,
        group: OpenGroup,
        invite: InviteView | None,
        *,
        running: bool,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if invite is None:
            body = "Making a short code…" + ("" if running else f"\n\n{NOT_RUNNING}")
            super().__init__("Invite a device with a short code", body, classes="invite")
        else:
            super().__init__(
                "Invite a device", long_invite_text(invite, running=running), qr=invite.qr, classes="invite"
            )
        self.group = group
        self.invite = invite
        self.running = running
        self.clock = clock
        self.short: ShortInviteView | None = None

    def compose(self) -> ComposeResult:
        yield StatusLine()
        with Vertical(classes="dialog"):
            yield Static(self.title_text, classes="dialog-text", markup=False)
            yield Static("", id="short-code")
            with VerticalScroll(classes="info-body"):
                yield Static(self.body, markup=False, classes="info-text", id="invite-text")
            hint = (
                "Escape closes" if self.invite is None else "s: a short code to type · q: the QR code · Escape closes"
            )
            yield Static(hint, classes="dialog-hint", id="invite-hint")

    def on_mount(self) -> None:
        super().on_mount()
        self.set_interval(1.0, self._tick)
        if self.invite is None:
            self.action_short()

    def action_short(self) -> None:
        self._make_short()

    def action_show_qr(self) -> None:
        if self.invite is not None:
            self.app.push_screen(QrScreen(self.invite, self.group.info.name))

    @work(thread=True, exclusive=True, group="short-invite", exit_on_error=False)
    def _make_short(self) -> None:
        try:
            short = create_short_invite(self.group, replacing=self.short)
        except MagnetError as exc:
            self.post_message(self.ShortMade(None, str(exc)))
        except Exception as exc:  # a broken invite book must be seen, not end the app
            self.post_message(self.ShortMade(None, f"could not make a short code: {exc}"))
        else:
            self.post_message(self.ShortMade(short))

    @on(ShortMade)
    def _short_made(self, message: ShortMade) -> None:
        if message.short is None:
            self.notify(message.problem, title="No short code", severity="error", timeout=8)
            return
        self.short = message.short
        self._tick()
        self.query_one("#short-code", Static).add_class("shown")
        if self.invite is None:
            text = "Read the code out, or show this screen." + ("" if self.running else f"\n\n{NOT_RUNNING}")
            self.query_one("#invite-text", Static).update(text)
        self.query_one("#invite-hint", Static).update("s makes a new short code · Escape closes")

    def _tick(self) -> None:
        if self.short is not None:
            self.query_one("#short-code", Static).update(short_code_text(self.short, self.clock()))


class QrScreen(ModalScreen[None]):
    """The invite's QR code alone on the screen, so all of it fits a terminal of 80x24."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q,enter", "close", "Back to the code")]

    def __init__(self, invite: InviteView, group: str) -> None:
        super().__init__()
        self.invite = invite
        self.group = group

    def compose(self) -> ComposeResult:
        until = datetime.fromtimestamp(self.invite.expires_at).strftime("%a %d %b %H:%M")
        yield Static(shown(f"Scan to join {self.group} · one use, until {until}"), id="qr-title", markup=False)
        with Center():
            yield Static(self.invite.qr, id="qr-code", markup=False)
        yield Static("", id="qr-small", markup=False)
        yield Static("Escape: back to the code as text", id="qr-hint", markup=False)

    def on_mount(self) -> None:
        self._fits()

    def on_resize(self) -> None:
        self._fits()

    def _fits(self) -> None:
        rows = self.invite.qr.count("\n") + 1
        width = len(self.invite.qr.split("\n", 1)[0])
        small = self.query_one("#qr-small", Static)
        if self.size.height and (self.size.height < rows + 2 or self.size.width < width):
            small.update(f"Make the terminal at least {width}x{rows + 2} to show all of the code.")
            small.display = True
        else:
            small.display = False

    def action_close(self) -> None:
        self.dismiss(None)
