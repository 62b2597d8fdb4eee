"""The app shows a saved group from its read model at once and opens the whole document behind it."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

import pytest
from textual.pilot import Pilot
from tui_drive import SIZE, make_app, open_area, screen_text, session, settle, text_of, type_text, until, with_sample

from magnet.home import Home, OpenGroup
from screens.dashboard import Card
from screens.roster import RosterScreen
from screens.widgets.record_form import RecordForm


async def _without_writes(pilot: Pilot[Any], check: Callable[[], bool], wait: float = 10.0) -> None:
    """Wait for `check` without waiting on the app's writer thread (held shut in these tests)."""
    deadline = asyncio.get_running_loop().time() + wait
    while not check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting; the screen shows:\n{screen_text(pilot.app)}")
        await asyncio.sleep(0.02)
        await pilot.pause()


class Held(threading.Event):
    """Lets the real `finish_opening` go when set; `opened` says what each call did."""

    def __init__(self) -> None:
        super().__init__()
        self.opened: list[bool] = []


@pytest.fixture
def held_open(monkeypatch: pytest.MonkeyPatch) -> Held:
    gate = Held()
    finish = OpenGroup.finish_opening

    def held(self: OpenGroup) -> bool:
        gate.wait(30)
        gate.opened.append(finish(self))
        return gate.opened[-1]

    monkeypatch.setattr(OpenGroup, "finish_opening", held)
    return gate


async def test_reads_work_before_the_whole_document_is_open_and_writes_wait_for_it(home: Home, held_open: Held) -> None:
    with_sample(home)
    group_id = home.groups()[0].group_id
    app = make_app(home)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await _without_writes(pilot, lambda: app.ready_at is not None)
        here = session(app)
        assert not here.group.whole  # the first screen came from the read model
        assert "240 members" in text_of(app.screen.query_one("#card-group", Card))
        await pilot.press("2")
        await _without_writes(pilot, lambda: isinstance(app.screen, RosterScreen) and app.screen.loaded_once)
        roster = app.screen
        assert isinstance(roster, RosterScreen)
        assert len(roster.members.rows) == 240

        early = here.submit(lambda: here.doc.members.add(name="Early Bird"))
        with home.open_group(group_id) as other:  # the CLI commits while the app opens
            other.doc.members.add(name="Zed Quill")
        await asyncio.sleep(0.2)
        assert not early.done()  # waits for the whole document, never fails for want of it

        held_open.set()
        await until(pilot, lambda: here.group.whole and early.done())
        assert early.result().name == "Early Bird"
        await until(pilot, lambda: {"Early Bird", "Zed Quill"} <= {m.name for m in roster.members.rows})
        assert len(roster.members.rows) == 242
    with home.open_group(group_id) as after:
        assert {"Early Bird", "Zed Quill"} <= {m.name for m in after.doc.members.all()}


async def test_a_store_that_will_not_open_leaves_the_group_readable_and_says_so(home: Home, held_open: Held) -> None:
    with_sample(home)
    info = home.groups()[0]
    app = make_app(home)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await _without_writes(pilot, lambda: app.ready_at is not None)
        info.store_path.rename(info.path / "moved-away")  # gone between the first screen and the rest
        held_open.set()
        await _without_writes(pilot, lambda: "Read only" in screen_text(app))
        assert "changes cannot be" in screen_text(app)
        assert not session(app).group.whole
        assert "240 members" in text_of(app.screen.query_one("#card-group", Card))


async def test_quitting_before_the_whole_document_opened_changes_nothing(home: Home, held_open: Held) -> None:
    with_sample(home)
    info = home.groups()[0]
    before = info.store_path.read_bytes()
    app = make_app(home)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await _without_writes(pilot, lambda: app.ready_at is not None)
        group = session(app).group
        quitting = asyncio.create_task(app.action_quit())
        await _without_writes(pilot, lambda: group._given_up)
        held_open.set()  # the writer thread gets to it only now that the app is closing
        await quitting
    assert held_open.opened == [False]
    assert info.store_path.read_bytes() == before


def _node_process(group: OpenGroup, hear: Callable[[Any], None]) -> Any:
    from sync.events import NodeConfig
    from sync.process_node import NodeProcess

    return NodeProcess(group, NodeConfig(port=0, interfaces=["127.0.0.1"], discovery=False), hear)


async def test_with_its_node_process_the_app_never_opens_the_whole_document(home: Home) -> None:
    with_sample(home)
    group_id = home.groups()[0].group_id
    app = make_app(home, node_factory=_node_process)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        roster = await open_area(pilot, "2", RosterScreen)
        await until(pilot, lambda: app.sync.running)
        here = session(app)
        assert here.forwarding and not here.group.whole
        await pilot.press("a")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, RecordForm)
        await type_text(pilot, "Kit Moreno")
        form.editor_for("zone").set_raw("C")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: any(m.name == "Kit Moreno" for m in roster.members.rows))
        with home.open_group(group_id) as other:  # the CLI commits while the app runs
            other.doc.members.add(name="Lou Vance")
        await until(pilot, lambda: any(m.name == "Lou Vance" for m in roster.members.rows))
        assert not here.group.whole  # both came without this process loading the history

        await pilot.press("9")  # history needs the whole document: it opens here now
        await until(pilot, lambda: here.group.whole and "member Kit Mo" in screen_text(app))
        assert here.doc.forwarding() is None
        with home.open_group(group_id) as other:  # and changes still arrive, through the store now
            other.doc.members.add(name="Max Ruiz")
        await pilot.press("2")
        await until(pilot, lambda: any(m.name == "Max Ruiz" for m in roster.members.rows))
    with home.open_group(group_id) as after:
        names = {m.name for m in after.doc.members.all()}
        assert {"Kit Moreno", "Lou Vance", "Max Ruiz"} <= names
        [kit] = after.doc.members.filter(name="Kit Moreno")
        assert kit.zone == "C"
