"""Every area, planning page and detail view at 80x24 with the sample group, as a snapshot.

A footer cut mid-word, a title that no longer fits or a column pushed off the screen changes the
picture and fails here; `pytest --snapshot-update tests/screens/test_snapshots.py` records an
intended change (look at the report first). The sample is the same on every run (snapshot_home),
the app's clock is fixed, and no sync node runs, so nothing depends on the day, ids or the network.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from snapshot_home import NOW, sample_home
from textual.pilot import Pilot
from tui_drive import ready, settle

from magnet.home import Home
from screens.app import MagnetApp

SIZE = (80, 24)

# name -> the keys that lead there from the dashboard ("wait" settles between steps).
SCREENS: dict[str, tuple[str, ...]] = {
    "dashboard": (),
    "roster_members": ("2",),
    "roster_households": ("2", "t"),
    "member_detail": ("2", "enter"),
    "household_detail": ("2", "t", "enter"),
    "member_form": ("2", "a"),
    "member_form_escape_question": ("2", "a", "Z", "e", "d", "escape"),
    "events_upcoming": ("3",),
    "event_detail": ("3", "enter"),
    "inventory_items": ("4",),
    "inventory_lots": ("4", "enter"),
    "inventory_loans": ("4", "t"),
    "item_detail": ("4", "enter", "down", "enter"),
    "checkin": ("5",),
    "peers": ("6",),
    "peers_devices": ("6", "t"),
    "settings": ("7",),
    "plan": ("8",),
    "history": ("9",),
    "record_history": ("2", "enter", "h"),
    "needs": ("8", "n"),
    "needs_surveys": ("8", "n", "t"),
    "survey_detail": ("8", "n", "t", "enter"),
    "goals": ("8", "g"),
    "goal_detail": ("8", "g", "enter"),
    "comms_pace": ("8", "c"),
    "comms_announcements": ("8", "c", "t"),
    "membership_roles": ("8", "m"),
    "partners": ("8", "p"),
    "training_courses": ("8", "t"),
    "training_certificates": ("8", "t", "t"),
    "training_skills_by_zone": ("8", "t", "t", "t"),
    "requests": ("8", "r"),
    "evaluation_report": ("8", "e"),
    "community_celebrations": ("8", "y"),
    "community_socials": ("8", "y", "t"),
    "help": ("f1",),
    "palette_call_tree": ("ctrl+p", "c", "a", "l", "l", "space", "t", "r", "e", "e"),
}


@pytest.fixture(scope="module")
def snapshot_homes() -> Iterator[Callable[[], Home]]:
    with sample_home() as fresh:
        yield fresh


def steps(keys: tuple[str, ...]) -> Callable[[Pilot[Any]], Any]:
    async def run_before(pilot: Pilot[Any]) -> None:
        await ready(pilot)
        for key in keys:
            await pilot.press(key)
            await settle(pilot, rounds=1)
        await settle(pilot, rounds=2)

    return run_before


@pytest.mark.parametrize("name", list(SCREENS))
def test_every_screen_at_80x24(name: str, snapshot_homes: Callable[[], Home], snap_compare: Any) -> None:
    app = MagnetApp(snapshot_homes(), None, node_factory=None, clock=lambda: NOW)
    assert snap_compare(app, terminal_size=SIZE, run_before=steps(SCREENS[name]))
