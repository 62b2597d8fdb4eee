"""The shell at 80x24: first run, areas, crisis key, help, palette, peers indicator, quitting."""

from __future__ import annotations

import gc
from typing import Any

from tui_drive import (
    SIZE,
    Event,
    LoopbackNode,
    make_app,
    ready,
    screen_text,
    session,
    settle,
    text_of,
    type_text,
    until,
    with_sample,
)

from magnet.home import Home
from screens.app import GC_THRESHOLDS, MagnetApp
from screens.areas import AREAS
from screens.dashboard import Card
from screens.widgets.record_form import RecordForm


async def test_first_run_offers_create_join_and_sample_then_the_sample_opens(home: Home) -> None:
    app = make_app(home)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await until(pilot, lambda: "Explore sample data" in screen_text(app))
        text = screen_text(app)
        assert "Create a new group" in text and "Join a group with an invite" in text
        await pilot.press("s")
        await ready(pilot)
        assert app.current_mode == "dashboard"
        welfare = app.screen.query_one("#card-welfare", Card)
        assert "95 households" in text_of(welfare)
        assert "240 members" in text_of(app.screen.query_one("#card-group", Card))
    assert [g.name for g in home.groups()] == ["Sample Street MAG"]


async def test_create_a_group_from_the_welcome_screen(home: Home) -> None:
    app = make_app(home)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await until(pilot, lambda: "Create a new group" in screen_text(app))
        await pilot.press("c")
        await type_text(pilot, "Maple Street MAG")
        await pilot.press("enter")
        await type_text(pilot, "Ann Lee")
        await pilot.press("enter")
        await pilot.press("n")  # no encryption
        await ready(pilot)
        doc = session(app).doc
        assert doc.profile.name == "Maple Street MAG"
        assert [m.name for m in doc.members.all()] == ["Ann Lee"]
        assert "Maple Street MAG" in screen_text(app)


async def test_joining_with_a_bad_code_says_why(home: Home) -> None:
    app = make_app(home)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await until(pilot, lambda: "Join a group" in screen_text(app))
        await pilot.press("j")
        await type_text(pilot, "MAGNET:NOPE")
        await pilot.press("enter", "enter")
        await type_text(pilot, "Bo")
        await pilot.press("enter")
        await until(pilot, lambda: "Encrypt this group's data" in screen_text(app))
        await pilot.press("n")
        await until(pilot, lambda: "Could not join" in screen_text(app), wait=60)
        assert home.groups() == []


async def test_a_mistyped_inviter_address_is_caught_at_its_prompt(home: Home) -> None:
    app = make_app(home)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await until(pilot, lambda: "Join a group" in screen_text(app))
        await pilot.press("j")
        await type_text(pilot, "42-K4ZQ-7M2P")
        await pilot.press("enter")
        await until(pilot, lambda: "inviting device's address" in screen_text(app))
        await type_text(pilot, "Cleo Park")  # the name, typed one prompt too early
        await pilot.press("enter")
        await until(pilot, lambda: "an address looks like 192.168.1.20:7787" in screen_text(app))
        assert "inviting device's address" in screen_text(app), "still asking for the address"


async def test_digits_sidebar_and_palette_reach_every_area(home: Home) -> None:
    sample_home = with_sample(home)
    app = make_app(sample_home)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        for area in AREAS:
            await pilot.press(area.key)
            await settle(pilot, rounds=1)
            assert app.current_mode == area.id
            assert area.title in screen_text(app).splitlines()[0]
        await pilot.press("ctrl+p")
        await type_text(pilot, "go to inventory")
        await settle(pilot)
        await pilot.press("enter")
        await until(pilot, lambda: app.current_mode == "inventory")


async def test_crisis_key_from_a_half_filled_form_and_back(home: Home) -> None:
    sample_home = with_sample(home)
    app = make_app(sample_home)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        await pilot.press("2")
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, RecordForm)
        await type_text(pilot, "Half Typed")
        await pilot.press("f2")
        await settle(pilot)
        assert app.current_mode == "checkin"
        assert "need help" in screen_text(app)
        await pilot.press("exclamation_mark")
        assert app.current_mode == "checkin"
        await pilot.press("2")
        await settle(pilot)
        assert isinstance(app.screen, RecordForm), "the form waited in its own area"
        assert app.screen.editor_for("name").raw == "Half Typed"


async def test_help_lists_the_keys_of_the_screen_underneath(home: Home) -> None:
    sample_home = with_sample(home)
    app = make_app(sample_home)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        await pilot.press("5", "f1")
        await settle(pilot)
        text = screen_text(app)
        assert "Everywhere" in text and "F2" in text
        await pilot.press("end")
        await settle(pilot)
        assert "Needs help" in screen_text(app)
        await pilot.press("escape", "question_mark")
        await settle(pilot)
        assert "help" in screen_text(app)


async def test_palette_runs_the_current_screens_actions(home: Home) -> None:
    sample_home = with_sample(home)
    app = make_app(sample_home)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        await pilot.press("2")
        await settle(pilot)
        await pilot.press("ctrl+p")
        await type_text(pilot, "add (a)")
        await settle(pilot)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, RecordForm))


async def test_peers_indicator_follows_the_node(home: Home) -> None:
    sample_home = with_sample(home)
    nodes: list[LoopbackNode] = []

    def factory(group: Any, on_event: Any) -> LoopbackNode:
        node = LoopbackNode(group, on_event)
        nodes.append(node)
        return node

    app = MagnetApp(sample_home, None, node_factory=factory)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        await until(pilot, lambda: "0 peers" in screen_text(app).splitlines()[0])
        nodes[0].connect("127.0.0.1:7788", "kitchen-pi")
        await until(pilot, lambda: "1 peer · in sync" in screen_text(app).splitlines()[0])
        await pilot.press("6")
        await until(pilot, lambda: "kitchen-pi" in screen_text(app))
        nodes[0].emit(Event("rejected", peer="10.0.0.66:7787", detail="not a device of this group"))
        await until(pilot, lambda: "rejected" in screen_text(app))
        await pilot.press("a")
        await type_text(pilot, "10.0.0.9:7787")
        await pilot.press("enter")
        await until(pilot, lambda: nodes[0].dialled == ["10.0.0.9:7787"])
    assert nodes[0].stopped.is_set(), "quitting stops the node"


async def test_offline_when_sync_is_off(home: Home) -> None:
    sample_home = with_sample(home)
    app = make_app(sample_home)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        assert "offline · sync not running" in screen_text(app).splitlines()[0]
        await pilot.press("6")
        await until(pilot, lambda: "sync is off" in screen_text(app))


async def test_a_second_group_asks_which_to_open(home: Home) -> None:
    sample_home = with_sample(home)
    sample_home.create_group("Elm Street MAG").close()
    app = make_app(sample_home)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await until(pilot, lambda: "Open  Elm Street MAG" in screen_text(app))
        await pilot.press("enter")
        await ready(pilot)
        assert session(app).name == "Elm Street MAG"
        await pilot.press("7")
        await until(pilot, lambda: "Sample Street MAG" in screen_text(app))
        assert app.prefs.last_group == session(app).group.info.group_id
    again = make_app(sample_home)
    async with again.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        assert session(again).name == "Elm Street MAG", "the group open last time opens again"


async def test_an_encrypted_group_asks_for_its_passphrase(home: Home, monkeypatch: Any) -> None:
    from magnet.unlock import PASSPHRASE_ENV, create_group

    monkeypatch.delenv(PASSPHRASE_ENV, raising=False)
    sealed = create_group(home, "Sealed MAG", member_name="Ann", encrypt=True, passphrase="correct horse")
    sealed.close()
    app = make_app(home)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await until(pilot, lambda: "encrypted" in screen_text(app) and "Passphrase" in screen_text(app))
        await type_text(pilot, "wrong guess")
        await pilot.press("enter")
        # Its name is behind the passphrase too: the welcome screen offers it by id.
        await until(pilot, lambda: f"Open  group {sealed.info.group_id[:8]} (encrypted)" in screen_text(app))
        assert "Sealed MAG" not in screen_text(app)
        assert app.session is None
        await pilot.press("enter")
        await until(pilot, lambda: "Passphrase" in screen_text(app))
        await type_text(pilot, "correct horse")
        await pilot.press("enter")
        await ready(pilot)
        assert [m.name for m in session(app).doc.members.all()] == ["Ann"]


async def test_the_sidebar_hides_for_more_room_and_the_choice_is_remembered(home: Home) -> None:
    sample_home = with_sample(home)
    app = make_app(sample_home)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        assert "1 Dashboard" in screen_text(app)
        await pilot.press("ctrl+b")
        await settle(pilot)
        assert "1 Dashboard" not in screen_text(app)
        await pilot.press("2")
        await settle(pilot)
        assert "Roster" in screen_text(app).splitlines()[0] and "2 Roster" not in screen_text(app)
    again = make_app(sample_home)
    async with again.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        assert "1 Dashboard" not in screen_text(again)


async def test_the_idle_dashboard_repaints_nothing_behind_it(home: Home, monkeypatch: Any) -> None:
    """The start screen's spinner, covered by the dashboard, used to repaint 16 times a second."""
    from textual.widgets import LoadingIndicator

    repaints: list[LoadingIndicator] = []
    original = LoadingIndicator.automatic_refresh

    def counted(self: LoadingIndicator) -> None:
        repaints.append(self)
        original(self)

    monkeypatch.setattr(LoadingIndicator, "automatic_refresh", counted)
    app = make_app(with_sample(home))
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        repaints.clear()
        await pilot.pause(1.0)
        assert repaints == []  # 16 a second before the spinner stopped when covered


async def test_a_burst_of_node_events_repaints_the_sync_status_a_few_times_and_ends_current(home: Home) -> None:
    """Each event used to repaint every top bar and the dashboard's group card, visible or not."""
    import time

    nodes: list[LoopbackNode] = []

    def factory(group: Any, on_event: Any) -> LoopbackNode:
        nodes.append(LoopbackNode(group, on_event))
        return nodes[-1]

    app = MagnetApp(with_sample(home), None, node_factory=factory)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        nodes[0].connect("127.0.0.1:7788", "kitchen-pi")
        await until(pilot, lambda: "1 peer · in sync" in screen_text(app).splitlines()[0])
        told: list[object] = []  # the newest event each publish carried
        app.sync_changed.subscribe(app.screen, lambda status: told.append(status.news[-1]))
        started = time.monotonic()
        for _ in range(300):
            nodes[0].emit(Event("synced", peer="127.0.0.1:7788", device_id="d" * 32))
        await until(pilot, lambda: bool(told) and told[-1] is app.sync.news[-1])
        await pilot.pause(0.3)
        elapsed = time.monotonic() - started
        assert len(told) <= 2 + elapsed / 0.25, f"{len(told)} repaints in {elapsed:.2f} s"
        assert told[-1] is app.sync.news[-1]  # the last publish came after the last event


async def test_the_group_read_at_start_is_kept_out_of_full_collections(home: Home) -> None:
    # A full collection walks every live object; a large group's records, read once and kept as
    # long as the app runs, made that a 170 ms pause in the middle of a screen (x10). Once the
    # first screen is up they are frozen out of it.
    gc.unfreeze()
    app = make_app(with_sample(home))
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        frozen = gc.get_freeze_count()
        records = session(app).doc.members.all()
        assert frozen > len(records)  # at least the records the dashboard read
        assert gc.get_threshold() == GC_THRESHOLDS  # and collections start less often
    gc.unfreeze()
