"""Peers: devices found and connected, last sync, refused peers and errors; invites; dial by address."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.binding import Binding, BindingType
from textual.widgets import ContentSwitcher, Static

from magnet.device import readable_id
from magnet.errors import MagnetError
from magnet.records import Device
from screens.base import AreaScreen, shell
from screens.invite_modal import InviteModal
from screens.invites import InviteView, create_invite
from screens.markup import escape
from screens.sync_link import PeerView, SyncStatus, local_addresses
from screens.widgets.modals import ConfirmModal, PromptModal
from screens.widgets.record_table import Column, RecordTable, field_column
from screens.widgets.topbar import ago
from sync.secure import revoke_device
from sync.transport import address_problem

DEFAULT_PORT = 7787


class PeersScreen(AreaScreen[list[Device]]):
    AREA = "peers"
    TITLE_TEXT = "Peers"
    HELP = (
        "Devices this one syncs with. Peers on the same network are found by themselves; where the "
        "network blocks that (guest Wi-Fi), a dials a peer by address. i invites a new device: it "
        "shows a one-time code as text and as a QR code; s makes a short code to read out and type "
        "instead (15 minutes, same network). t lists the group's devices; x revokes a lost one."
    )
    WATCHES: ClassVar[frozenset[str] | None] = frozenset({"devices", "members"})
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("i", "invite", "Invite device"),
        Binding("s", "short_invite", "Short code"),
        Binding("a", "add_peer", "Add by address"),
        Binding("t", "switch", "Peers/Devices"),
        Binding("x", "revoke", "Revoke device"),
    ]

    def compose_body(self) -> Iterator[Any]:
        yield Static("", classes="area-head", id="head")
        with ContentSwitcher(initial="peers", id="peer-views"):
            yield RecordTable(
                [
                    Column("address", "Address", lambda p: p.address, width=21),
                    Column("name", "Device", lambda p: p.name or p.device_id[:8], width=16),
                    Column("state", "State", self._state, width=10),
                    Column(
                        "last", "Last sync", lambda p: ago(p.last_sync), lambda p: p.last_sync or datetime.min, width=11
                    ),
                    Column("error", "Problem", lambda p: p.error, width=30),
                ],
                key=lambda p: p.address,
                is_archived=None,
                sort="address",
                placeholder="/ search peers",
                id="peers",
            )
            yield RecordTable(
                [
                    field_column(Device, "name", width=18),
                    Column("id", "Device id", lambda d: d.device_id[:12], width=12),
                    Column("member", "Speaks for", lambda d: self._member(d.member_id), width=18),
                    Column("revoked", "", lambda d: Text("revoked", style="red") if d.revoked else "", width=8),
                ],
                sort="name",
                placeholder="/ search devices",
                id="devices",
            )
        yield Static("", id="peer-news", classes="area-head")

    @staticmethod
    def _state(peer: PeerView) -> Text:
        style = "green" if peer.connected else ("red" if peer.error else "yellow")
        return Text(peer.state or "?", style=style)

    def _member(self, member_id: str) -> str:
        member = self.session.doc.members.find(member_id) if member_id else None
        return member.name if member else ""

    @property
    def peers(self) -> RecordTable[PeerView]:
        table: RecordTable[PeerView] = self.query_one("#peers", RecordTable)
        return table

    def on_mount(self) -> None:
        super().on_mount()
        shell(self).sync_changed.subscribe(self, self.show_sync)
        self.show_sync(shell(self).sync)

    def load(self) -> list[Device]:
        return self.session.doc.devices.all(include_archived=True)

    def show(self, data: list[Device]) -> None:
        self.query_one("#devices", RecordTable).set_rows(data)

    def show_sync(self, status: SyncStatus) -> None:
        head = self.query_one("#head", Static)
        view = self.query_one("#peer-views", ContentSwitcher).current
        tabs = "[b reverse] Peers [/] Devices" if view == "peers" else "Peers [b reverse] Devices [/]"
        if status.running:
            head.update(
                f"{tabs}  sync on port {status.port or '?'} · [b]{status.connected}[/] connected · "
                f"last sync {ago(status.last_sync)}"
            )
        else:
            head.update(f"{tabs}  [yellow]sync not running:[/] {escape(status.problem or 'unknown reason')}")
        self.peers.set_rows(status.peers)
        problems = status.problems[-4:]
        news = self.query_one("#peer-news", Static)
        news.update(
            "\n".join(
                f"[red]{n.at:%H:%M} {n.kind}[/] "
                + (f"{escape(n.peer or n.device_id[:8])}: " if n.peer or n.device_id else "")
                + escape(n.detail)
                for n in reversed(problems)
            )
        )
        news.display = bool(problems)

    # ---- actions -----------------------------------------------------------------------------

    def show_tab(self, tab: str) -> None:
        """Show the peers ("peers") or the group's devices ("devices")."""
        if tab != self.query_one("#peer-views", ContentSwitcher).current:
            self.action_switch()

    def action_switch(self) -> None:
        switcher = self.query_one("#peer-views", ContentSwitcher)
        switcher.current = "devices" if switcher.current == "peers" else "peers"
        self.show_sync(shell(self).sync)
        self.query_one(f"#{switcher.current}", RecordTable).table.focus()

    @property
    def devices(self) -> RecordTable[Device]:
        table: RecordTable[Device] = self.query_one("#devices", RecordTable)
        return table

    def _chosen_device(self) -> Device | None:
        """The device under the cursor: on Devices that row, on Peers the device behind the peer."""
        if self.query_one("#peer-views", ContentSwitcher).current == "devices":
            return self.devices.current
        peer = self.peers.current
        found = self.session.doc.devices.filter(device_id=peer.device_id) if peer and peer.device_id else []
        return found[0] if found else None

    @work(exclusive=True, group="revoke")
    async def action_revoke(self) -> None:
        """A lost laptop or a member who left: refused from now on, and the group key changes."""
        device = self._chosen_device()
        if device is None:
            self.notify("Pick a device first (t lists the group's devices)", timeout=4)
            return
        if device.revoked:
            self.notify(f"{device.name} is already revoked", timeout=4)
            return
        if device.device_id == self.session.device_id:
            self.notify("That is this device: revoke it from another device of the group", severity="warning")
            return
        asked = (
            f"Revoke {device.name} ({readable_id(device.device_id)})? Every device of the group refuses it "
            "from now on and the group key changes. What it already has, it keeps."
        )
        if not await self.app.push_screen_wait(ConfirmModal(asked, yes="Revoke", no="Keep")):
            return
        group = self.session.group

        def revoked(epoch: int | None) -> None:
            self.notify(f"Revoked {device.name}; the group key is now epoch {epoch}", title="Device revoked")

        self.write(lambda: revoke_device(group, device), revoked)

    @on(RecordTable.Chosen, "#devices")
    def _device_chosen(self, event: RecordTable.Chosen) -> None:
        event.stop()
        self.open_detail(event.row, fields=("name", "device_id", "member_id", "added_at", "revoked", "revoked_at"))

    def action_add_peer(self) -> None:
        def answered(address: str | None) -> None:
            if address:
                self._dial(address.strip())

        self.app.push_screen(
            PromptModal("Peer address (host:port):", placeholder=f"192.168.1.20:{DEFAULT_PORT}", check=address_problem),
            answered,
        )

    @work(thread=True, exclusive=True, group="dial", exit_on_error=False)
    def _dial(self, address: str) -> None:
        add_peer = getattr(self.app, "add_peer")  # noqa: B009 - the app's own method, typed there
        try:
            add_peer(address)
        except MagnetError as exc:
            self.app.call_from_thread(self.fail, exc)
            return
        except Exception as exc:
            self.app.call_from_thread(self.fail, MagnetError(f"could not dial {address}: {exc}"))
            return
        self.app.call_from_thread(self.notify, f"Dialling {address}…", timeout=3)

    def action_invite(self) -> None:
        self.notify("Making an invite…", timeout=2)
        self._invite(shell(self).sync.port or DEFAULT_PORT, shell(self).sync.running)

    @work(thread=True, exclusive=True, group="invite", exit_on_error=False)
    def _invite(self, port: int, running: bool) -> None:
        try:
            invite = create_invite(self.session.group, addresses=tuple(local_addresses(port)))
        except MagnetError as exc:
            self.app.call_from_thread(self.fail, exc)
            return
        self.app.call_from_thread(self._show_invite, invite, running)

    def _show_invite(self, invite: InviteView, running: bool) -> None:
        self.app.push_screen(InviteModal(self.session.group, invite, running=running))

    def action_short_invite(self) -> None:
        self.app.push_screen(InviteModal(self.session.group, None, running=shell(self).sync.running))
