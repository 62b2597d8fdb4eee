"""Settings: this device and its readable id, who it speaks for, the group, other groups, the theme."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, cast

from textual import on
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from magnet.datadir import GroupInfo
from magnet.device import readable_id
from magnet.fields import parse_value
from magnet.records import Device, GroupProfile, Member
from screens.base import AreaScreen
from screens.markup import escape
from screens.widgets.modals import PickModal, PromptModal
from screens.widgets.record_form import RecordForm

if TYPE_CHECKING:
    from screens.app import MagnetApp


@dataclass(frozen=True)
class SettingsView:
    device: Device | None
    me: Member | None
    profile: GroupProfile
    groups: list[GroupInfo]
    store_bytes: int


def parse_profile(values: Mapping[str, Any]) -> dict[str, Any]:
    specs = GroupProfile.specs()
    return {k: parse_value(specs[k], v) for k, v in values.items()}


class SettingsScreen(AreaScreen[SettingsView]):
    AREA = "settings"
    TITLE_TEXT = "Settings"
    HELP = (
        "n renames this device, m says which member it speaks for (check-ins and RSVPs are recorded "
        "as them), g edits the group's profile, T picks a colour theme. Enter on another group "
        "opens it; + creates, joins or explores a sample group. d exports (binder, spreadsheets, "
        "contacts, calendar, USB bundle) and imports spreadsheets or bundles."
    )
    WATCHES: ClassVar[frozenset[str] | None] = frozenset({"devices", "members", "group"})
    AUTO_FOCUS = "#groups"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "rename", "Rename device"),
        Binding("m", "speaks_for", "I am…"),
        Binding("g", "profile", "Group profile"),
        Binding("T", "theme", "Theme"),
        Binding("d", "app.data", "Data in/out"),
        Binding("plus", "new_group", "New group"),
    ]

    def compose_body(self) -> Iterator[Any]:
        with VerticalScroll(id="settings"):
            yield Static("Loading…", id="settings-device")
            yield Static("", id="settings-group")
            yield Static("[b]Groups in this data dir[/] [dim](Enter opens one)[/]", id="settings-groups-title")
            yield OptionList(id="groups", markup=False)  # group names as given, not markup
            yield Static("", id="settings-theme")

    def load(self) -> SettingsView:
        group = self.session.group
        size = group.store.path.stat().st_size if group.store.path.exists() else 0
        return SettingsView(
            self.session.this_device(), self.session.me(), self.session.doc.profile, group.home.groups(), size
        )

    def show(self, data: SettingsView) -> None:
        device_id = self.session.device_id
        name = data.device.name if data.device else "(not registered in this group)"
        me = data.me.name if data.me else "[yellow]nobody yet (m sets it)[/]"
        home = self.session.group.home
        self.query_one("#settings-device", Static).update(
            f"[b]This device[/]  {escape(name)}  [dim](n renames)[/]\n"
            f"  id {readable_id(device_id)}\n"
            f"  speaks for {me if data.me is None else escape(me)}\n"
            f"  data dir {escape(str(home.root))}"
        )
        info = self.session.group.info
        profile = data.profile
        self.query_one("#settings-group", Static).update(
            f"[b]Group[/]  {escape(profile.name)}  [dim](g edits)[/]\n"
            f"  id {info.group_id[:16]} · {data.store_bytes:,} bytes on disk"
            f"{' · encrypted' if info.encrypted else ''}\n"
            f"  area {escape(profile.area or '–')} · meets at {escape(profile.meeting_place or '–')}"
        )
        groups = self.query_one("#groups", OptionList)
        highlighted = groups.highlighted
        groups.clear_options()
        groups.add_options(
            [
                Option(
                    ("● " if g.group_id == info.group_id else "  ") + g.label + (" (encrypted)" if g.encrypted else ""),
                    id=g.group_id,
                )
                for g in data.groups
            ]
        )
        if highlighted is not None and highlighted < len(data.groups):
            groups.highlighted = highlighted
        self.query_one("#settings-theme", Static).update(f"[b]Theme[/]  {self.app.theme}  [dim](T changes)[/]")

    # ---- actions -----------------------------------------------------------------------------

    def action_rename(self) -> None:
        device = self.session.this_device()
        if device is None:
            self.notify("This device is not registered in the group", severity="warning")
            return
        devices = self.session.doc.devices

        def answered(name: str | None) -> None:
            if name and name.strip():
                self.write(lambda: devices.update(device.id, name=name.strip()))

        self.app.push_screen(
            PromptModal(
                "Name for this device:", value=device.name, check=lambda t: None if t.strip() else "type a name"
            ),
            answered,
        )

    def action_speaks_for(self) -> None:
        device = self.session.this_device()
        if device is None:
            self.notify("This device is not registered in the group", severity="warning")
            return
        members = sorted(self.session.doc.members.all(), key=lambda m: m.name.lower())
        devices = self.session.doc.devices

        def picked(member_id: str | None) -> None:
            if member_id is not None:
                self.write(lambda: devices.update(device.id, member_id=member_id))

        choices = [("(nobody)", ""), *[(f"{m.name} · zone {m.zone or '?'}", m.id) for m in members]]
        self.app.push_screen(PickModal("Which member uses this device?", choices, current=device.member_id), picked)

    def action_profile(self) -> None:
        doc = self.session.doc

        def saved(values: dict[str, Any] | None) -> None:
            if values:
                self.write(lambda: doc.update_profile(**values))

        form = RecordForm(
            doc,
            GroupProfile,
            doc.profile,
            title="The group's profile",
            fetch=lambda: doc.profile,
            parse=parse_profile,
        )
        self.app.push_screen(form, saved)

    def action_theme(self) -> None:
        self.app.search_themes()

    def action_new_group(self) -> None:
        self._switch(None)

    @on(OptionList.OptionSelected, "#groups")
    def _group_chosen(self, event: OptionList.OptionSelected) -> None:
        if event.option.id and event.option.id != self.session.group.info.group_id:
            info = next((g for g in self.session.group.home.groups() if g.group_id == event.option.id), None)
            if info is not None:
                self._switch(info)

    def _switch(self, info: GroupInfo | None) -> None:
        # The app runs it: this screen goes away with the group it belongs to.
        app = cast("MagnetApp", self.app)
        app.run_worker(app.switch_group(info), exclusive=True, group="switch-group")
