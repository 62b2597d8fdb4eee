"""Every area, planning page and detail view at 80x24 with the sample group, as a snapshot.

A footer cut mid-word, a title that no longer fits or a column pushed off the screen changes the
picture and fails here, with the changed lines of text shown; `pytest --snapshot-update
tests/screens/test_snapshots.py` records an intended change (one SVG per screen, pytest-textual-
snapshot's format: open them to look). The sample is the same on every run (snapshot_home), the
app's clock is fixed, and no sync node runs, so nothing depends on the day, ids or the network.

Screens are visited in short walks, one app each, so the suite stays quick: each walk goes from
one screen to the next the way a person would, and every stop is a snapshot of its own.
"""

from __future__ import annotations

import difflib
import html
import re
from collections.abc import Callable, Iterator

import pytest
from pytest_textual_snapshot import SVGImageExtension
from snapshot_home import NOW, sample_home
from syrupy.assertion import SnapshotAssertion
from tui_drive import ready, settle

from magnet.home import Home
from screens.app import MagnetApp

SIZE = (80, 24)

# walk -> stops: (the screen's name, the keys that lead there from the stop before).
WALKS: dict[str, list[tuple[str, tuple[str, ...]]]] = {
    "dashboard": [("dashboard", ()), ("help", ("f1",))],
    "members": [("roster_members", ("2",)), ("member_detail", ("enter",)), ("record_history", ("h",))],
    "households": [("roster_households", ("2", "t")), ("household_detail", ("enter",))],
    "forms": [("member_form", ("2", "a")), ("member_form_escape_question", ("Z", "e", "d", "escape"))],
    "events": [("events_upcoming", ("3",)), ("event_detail", ("enter",))],
    "inventory": [("inventory_items", ("4",)), ("inventory_lots", ("enter",)), ("item_detail", ("down", "enter"))],
    "loans": [("inventory_loans", ("4", "t"))],
    "areas": [
        ("checkin", ("5",)),
        ("peers", ("6",)),
        ("peers_devices", ("t",)),
        ("settings", ("7",)),
        ("history", ("9",)),
        ("plan", ("8",)),
    ],
    "needs": [("needs", ("8", "n")), ("needs_surveys", ("t",)), ("survey_detail", ("enter",))],
    "goals": [("goals", ("8", "g")), ("goal_detail", ("enter",))],
    "pages": [
        ("comms_pace", ("8", "c")),
        ("comms_announcements", ("t",)),
        ("membership_roles", ("escape", "m")),
        ("partners", ("escape", "p")),
        ("training_courses", ("escape", "t")),
        ("training_certificates", ("t",)),
        ("training_skills_by_zone", ("t",)),
        ("requests", ("escape", "r")),
        ("evaluation_report", ("escape", "e")),
        ("community_celebrations", ("escape", "y")),
        ("community_socials", ("t",)),
    ],
    "palette": [("palette_call_tree", ("ctrl+p", "c", "a", "l", "l", "space", "t", "r", "e", "e"))],
}


@pytest.fixture(scope="module")
def snapshot_homes() -> Iterator[Callable[[], Home]]:
    with sample_home() as fresh:
        yield fresh


def screen_lines(svg: str) -> list[str]:
    """The text of a screenshot, row by row: what a failure shows."""
    rows: dict[float, list[str]] = {}
    for found in re.finditer(r'<text[^>]*y="([\d.]+)"[^>]*>([^<]*)</text>', svg):
        rows.setdefault(float(found[1]), []).append(html.unescape(found[2]))
    return ["".join(rows[y]) for y in sorted(rows)]


@pytest.mark.parametrize("walk", list(WALKS))
async def test_every_screen_at_80x24(
    walk: str, snapshot_homes: Callable[[], Home], snapshot: SnapshotAssertion
) -> None:
    shots = snapshot.use_extension(SVGImageExtension)
    app = MagnetApp(snapshot_homes(), None, node_factory=None, clock=lambda: NOW)
    changed: list[str] = []
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        for name, keys in WALKS[walk]:
            for key in keys:
                await pilot.press(key)
                await settle(pilot, rounds=1)
            await settle(pilot, rounds=2)
            await pilot.wait_for_scheduled_animations()
            await pilot.pause()
            svg = app.export_screenshot(title=app.title, simplify=True)
            expected = shots(name=name)
            if not expected == svg:  # noqa: SIM201 - syrupy records the comparison through __eq__
                old = screen_lines(str(expected))
                diff = difflib.unified_diff(old, screen_lines(svg), "snapshot", "now", lineterm="", n=1)
                changed.append(f"{name}:\n" + "\n".join(diff))
    assert not changed, "screens changed at 80x24:\n\n" + "\n\n".join(changed)
