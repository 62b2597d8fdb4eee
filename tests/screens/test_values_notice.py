"""A value another program stored that does not fit its field is told in the app, never rewritten."""

from __future__ import annotations

from typing import Any

from automerge.core import ROOT, ScalarType
from tui_drive import SIZE, make_app, ready, until

from magnet.home import Home


def number_as_zone(raw: Any, record_id: str) -> None:
    with raw.transaction() as tx:
        members = tx.get(ROOT, "members")
        assert members is not None
        record = tx.get(members[1], record_id)
        assert record is not None
        tx.put(record[1], "zone", ScalarType.Int, 12)
        tx.put(record[1], "name", ScalarType.Str, "Ann \x1b]0;owned\x07Lee")  # as a hostile peer writes it


async def test_the_app_says_which_value_does_not_fit_and_keeps_it(home: Home) -> None:
    group = home.create_group("Maple St")
    ann = group.doc.members.add(name="Ann Lee")
    other = group.doc.fork()
    other.with_automerge(lambda raw: number_as_zone(raw, ann.id))
    group.doc.merge(other)
    group.close()
    app = make_app(home)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await ready(pilot)
        await until(pilot, lambda: any("does not fit" in str(n.message) for n in app._notifications))
        [notice] = [n for n in app._notifications if "does not fit" in str(n.message)]
        assert "Zone / block holds 12, not text" in str(notice.message)
        assert "\x1b" not in str(notice.message)  # the name is shown, not obeyed
    reopened = home.open_group()
    try:
        assert reopened.doc.export()["members"][ann.id]["zone"] == 12  # kept as it was
    finally:
        reopened.close()
