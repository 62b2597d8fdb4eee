"""Peers (invites as text and QR) and settings (this device, who it speaks for, the group, groups)."""

from __future__ import annotations

from tui_drive import SIZE, make_app, ready, screen_text, session, settle, type_text, until, with_sample

from magnet.device import readable_id
from magnet.home import Home
from screens.dashboard import DashboardScreen
from screens.peers import PeersScreen
from screens.settings import SettingsScreen
from screens.widgets.modals import InfoModal, PickModal, PromptModal
from screens.widgets.record_form import RecordForm


async def test_dashboard_cards_lead_to_their_screens(home: Home) -> None:
    sample_home = with_sample(home)
    app = make_app(sample_home)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        assert isinstance(app.screen, DashboardScreen)
        await pilot.press("enter")
        await until(pilot, lambda: app.current_mode == "checkin")
        await pilot.press("1", "right", "enter")
        await until(pilot, lambda: app.current_mode == "events")
        await pilot.press("1", "down", "enter")  # the goals card, under the events card
        await until(pilot, lambda: app.current_mode == "plan")  # the Goals page
        await pilot.press("1", "left", "enter")  # supplies, beside goals
        await until(pilot, lambda: app.current_mode == "inventory")


async def test_invite_shows_a_one_time_code_and_its_qr(home: Home) -> None:
    sample_home = with_sample(home)
    app = make_app(sample_home)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        await pilot.press("6")
        await until(pilot, lambda: isinstance(app.screen, PeersScreen))
        await pilot.press("i")
        await until(pilot, lambda: isinstance(app.screen, InfoModal), wait=20)
        text = screen_text(app)
        assert "MAGNET:" in text
        assert "not running" in text, "says the invite needs sync running here"
        await pilot.press("q")  # the QR code, on a screen of its own
        await until(pilot, lambda: "Scan to join" in screen_text(app))
        assert "█" in screen_text(app) or "▀" in screen_text(app), "the QR code is drawn"
        await pilot.press("escape", "escape")
        await settle(pilot)
        assert isinstance(app.screen, PeersScreen)


async def test_add_peer_by_address_is_checked_and_needs_sync(home: Home) -> None:
    sample_home = with_sample(home)
    app = make_app(sample_home)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        await pilot.press("6", "a")
        await until(pilot, lambda: isinstance(app.screen, PromptModal))
        await type_text(pilot, "not an address")
        await pilot.press("enter")
        await settle(pilot)
        assert "host:port" in screen_text(app)
        app.screen.query_one("#prompt").value = "127.0.0.1:7790"  # type: ignore[attr-defined]
        await pilot.press("enter")
        await until(pilot, lambda: "sync is not running" in screen_text(app))


async def test_settings_name_this_device_and_who_it_speaks_for(home: Home) -> None:
    sample_home = with_sample(home)
    app = make_app(sample_home)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        await pilot.press("7")
        await until(pilot, lambda: isinstance(app.screen, SettingsScreen) and app.screen.loaded_once)
        assert readable_id(sample_home.device.device_id) in screen_text(app)
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, PromptModal))
        app.screen.query_one("#prompt").value = ""  # type: ignore[attr-defined]
        await type_text(pilot, "kitchen laptop")
        await pilot.press("enter")
        device = session(app).this_device
        await until(pilot, lambda: (d := device()) is not None and d.name == "kitchen laptop")
        doc = session(app).doc
        me = doc.members.add(name="Aaa Me")
        await pilot.press("m")
        await until(pilot, lambda: isinstance(app.screen, PickModal))
        await type_text(pilot, "Aaa Me")
        await pilot.press("enter")
        await until(pilot, lambda: (m := session(app).me()) is not None and m.id == me.id)
        await until(pilot, lambda: "speaks for Aaa Me" in screen_text(app))
        app.theme = "nord"
        await settle(pilot)
        assert app.prefs.theme == "nord"
        assert make_app(sample_home).prefs.theme == "nord", "the theme is remembered"


async def test_settings_edit_the_group_profile(home: Home) -> None:
    sample_home = with_sample(home)
    app = make_app(sample_home)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        await pilot.press("7")
        await until(pilot, lambda: isinstance(app.screen, SettingsScreen) and app.screen.loaded_once)
        await pilot.press("g")
        await until(pilot, lambda: isinstance(app.screen, RecordForm))
        form = app.screen
        assert isinstance(form, RecordForm)
        form.editor_for("meeting_place").set_raw("The library, room 2")
        await pilot.press("ctrl+s")
        doc = session(app).doc
        await until(pilot, lambda: doc.profile.meeting_place == "The library, room 2")
        await until(pilot, lambda: "The library" in screen_text(app))
        assert doc.profile.name == "Sample Street MAG"


async def test_settings_switch_to_another_group(home: Home) -> None:
    sample_home = with_sample(home)
    sample_home.create_group("Elm Street MAG").close()
    app = make_app(sample_home)
    app.prefs = app.prefs.edit(theme="textual-light")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await until(pilot, lambda: "Open  Sample Street MAG" in screen_text(app))
        await pilot.press("down", "enter")
        await ready(pilot)
        assert session(app).name == "Sample Street MAG"
        assert app.theme == "textual-light"
        await pilot.press("7")
        await until(pilot, lambda: isinstance(app.screen, SettingsScreen) and app.screen.loaded_once)
        await pilot.press("down", "enter")
        await until(pilot, lambda: app.session is not None and app.session.name == "Elm Street MAG", wait=20)
        await until(pilot, lambda: app.current_mode == "dashboard")
        assert "Elm Street MAG" in screen_text(app)


async def test_a_lost_laptop_is_revoked_from_the_devices_list_and_the_key_moves_on(home: Home) -> None:
    from datetime import datetime

    from magnet.device import DeviceIdentity
    from magnet.groupkey import KeyRing
    from screens.widgets.modals import ConfirmModal

    sample_home = with_sample(home)
    lost = DeviceIdentity.generate()
    with sample_home.open_group(None) as group:
        group.doc.devices.add(
            name="Lost laptop",
            device_id=lost.device_id,
            public_key=lost.public_key.hex(),
            added_at=datetime.now(),
        )
        epoch = KeyRing.load(group.path).current.epoch
    app = make_app(sample_home)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        await pilot.press("6", "t")
        screen = app.screen
        assert isinstance(screen, PeersScreen)
        await until(pilot, lambda: "Lost laptop" in screen_text(app))
        doc = session(app).doc
        [mine] = doc.devices.filter(device_id=session(app).device_id)
        screen.devices.select(mine.id)
        await pilot.press("x")
        await until(pilot, lambda: "That is this device" in screen_text(app))

        [record] = doc.devices.filter(device_id=lost.device_id)
        screen.devices.select(record.id)
        await pilot.press("x")
        await until(pilot, lambda: isinstance(app.screen, ConfirmModal))
        assert "Revoke Lost laptop" in screen_text(app)
        await pilot.press("y")
        await until(pilot, lambda: doc.devices.get(record.id).revoked)
        await until(pilot, lambda: "revoked" in screen_text(app))
        assert KeyRing.load(session(app).group.path).current.epoch == epoch + 1
        assert not doc.devices.get(mine.id).revoked
