"""Two real sync nodes on 127.0.0.1: a neighbor's edits reach the running app while a form is open."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import pytest

from magnet.groupkey import KeyRing
from magnet.home import Home
from screens.app import MagnetApp
from screens.roster import RosterScreen
from screens.widgets.record_form import RecordForm

runner = pytest.importorskip("sync.runner", reason="the sync node is not in this build")
secure = pytest.importorskip("sync.secure", reason="the sync node is not in this build")

from tui_drive import SIZE, ready, screen_text, session, settle, type_text, until  # noqa: E402


def loopback(**changes: Any) -> Any:
    """A node that only ever talks on 127.0.0.1, on a free port, without mDNS."""
    config = runner.NodeConfig(port=0, interfaces=["127.0.0.1"], discovery=False, poll_interval=0.05)
    for key, value in changes.items():
        setattr(config, key, value)
    return config


def app_node(where: str) -> Any:
    """The app's node: on a thread of the app (sync.runner) or in its own process (the default)."""
    if where == "thread":
        return lambda group, hear: runner.NodeHandle(group, loopback(), hear)
    from sync.process_node import NodeProcess

    return lambda group, hear: NodeProcess(group, loopback(), hear)


@pytest.mark.parametrize("where", ["thread", "process"])
async def test_a_second_node_edits_while_the_app_runs_with_a_form_open(tmp_path: Path, where: str) -> None:
    ann_home = Home(tmp_path / "ann")
    ann_group = ann_home.create_group("Maple Street MAG", member_name="Ann Lee")
    secure.ensure_keyring(ann_group.path)
    ann = ann_group.doc.members.all()[0]
    bo_home = Home(tmp_path / "bo")
    secure.enroll_device(ann_group, bo_home.device.public_key, "Bo Chen")
    bo_group = bo_home.adopt_group(ann_group.doc.save())
    KeyRing.load(ann_group.path).save(bo_group.path)
    ann_group.close()

    app = MagnetApp(ann_home, None, node_factory=app_node(where))
    bo_node: Any = None
    try:
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            await ready(pilot)
            await until(pilot, lambda: app.sync.running and app.sync.port > 0)
            bo_node = runner.NodeHandle(bo_group, loopback(peers=[f"127.0.0.1:{app.sync.port}"]))
            await asyncio.to_thread(bo_node.start)
            await until(pilot, lambda: "1 peer" in screen_text(app).splitlines()[0], wait=20)
            if where == "process":
                child = session(app).node._process  # type: ignore[union-attr]
                assert child is not None and child.pid != os.getpid() and child.poll() is None

            await pilot.press("2")
            await until(pilot, lambda: isinstance(app.screen, RosterScreen) and app.screen.loaded_once)
            roster = app.screen
            assert isinstance(roster, RosterScreen)
            roster.members.select(ann.id)
            await pilot.press("e")
            await until(pilot, lambda: isinstance(app.screen, RecordForm))
            form = app.screen
            assert isinstance(form, RecordForm)
            form.editor_for("notes").editor.focus()
            await type_text(pilot, "Has a generator")

            # Bo, on the other device, moves Ann to zone C and adds a neighbor.
            bo_doc = bo_group.doc
            await asyncio.to_thread(lambda: bo_doc.members.update(ann.id, zone="C"))
            dee = await asyncio.to_thread(lambda: bo_doc.members.add(name="Dee Newcomer", zone="C"))

            await until(pilot, lambda: form.editor_for("zone").raw == "C", wait=20)
            assert form.editor_for("notes").raw == "Has a generator", "what Ann typed survives"
            await until(pilot, lambda: any(m.id == dee.id for m in roster.members.rows))
            assert app.screen is form

            await pilot.press("ctrl+s")
            await until(pilot, lambda: session(app).doc.members.get(ann.id).notes == "Has a generator")
            # ...and Ann's note reaches Bo, next to his own edit.
            await until(pilot, lambda: bo_doc.members.get(ann.id).notes == "Has a generator", wait=20)
            assert bo_doc.members.get(ann.id).zone == "C"
            await pilot.press("escape")
            await settle(pilot)
            assert "Dee Newcomer" in screen_text(app)
    finally:
        if bo_node is not None:
            await asyncio.to_thread(bo_node.stop)
        bo_group.close()
