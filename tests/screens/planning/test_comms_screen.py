"""Communication at 80x24: the PACE plan's gaps, posting an announcement, and a call tree that covers every consenting member exactly once."""

from __future__ import annotations

from collections import Counter

from plan_app import SIZE, make_app, open_plan, screen_text, session, type_text, until, with_sample
from textual.widgets import Input

from magnet.calltree import in_call_tree
from magnet.home import Home
from screens.planning.comms import CommsScreen
from screens.widgets.modals import PickModal
from screens.widgets.record_form import RecordForm


async def test_the_call_tree_covers_every_consenting_member_once_and_can_be_adjusted(home: Home) -> None:
    app = make_app(with_sample(home))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        comms = await open_plan(pilot, "c")
        assert isinstance(comms, CommsScreen)
        doc = session(app).doc
        assert "Group chat" in screen_text(app) and "GMRS radio net" in screen_text(app)
        await pilot.press("t", "t")
        assert comms.tab == "tree"
        await pilot.press("g")
        await until(pilot, lambda: len(comms.table("tree").rows) > 100)

        members = doc.members.all()
        consenting = {m.id for m in members if in_call_tree(m)}
        shown = Counter(line.member.id for line in comms.table("tree").rows)
        assert set(shown) == consenting and set(shown.values()) == {1}, "each consenting member once, nobody else"
        callees = Counter(link.member_id for link in doc.call_tree.all())
        assert set(callees.values()) == {1} and len(callees) == len(consenting) - 1, "everyone but the first is called"
        assert not any(m.id in shown for m in members if not m.consent_share)
        assert f"{len(consenting)} reached" in screen_text(app)

        # By hand: the third person in the tree is called by the last one from now on.
        rows = comms.table("tree").rows
        member, caller = rows[2].member, rows[-1].member
        comms.table("tree").select(member.id)
        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.screen, PickModal))
        app.screen.query_one(Input).value = caller.name
        await pilot.pause()
        await pilot.press("enter")
        await until(pilot, lambda: any(link.manual for link in doc.call_tree.all()))
        [link] = [link for link in doc.call_tree.all() if link.member_id == member.id]
        assert (link.caller_id, link.confirms_to, link.manual) == (caller.id, caller.id, True)
        await until(pilot, lambda: "(by hand)" in screen_text(app) or comms.table("tree").select(member.id))
        await pilot.press("g")
        await until(pilot, lambda: app.screen is comms)
        shown = Counter(line.member.id for line in comms.table("tree").rows)
        assert set(shown) == consenting and set(shown.values()) == {1}
        assert doc.call_tree.filter(member_id=member.id)[0].caller_id == caller.id, (
            "a rebuild keeps the hand-set caller"
        )


async def test_posting_an_announcement_and_the_gaps_in_the_pace_plan(home: Home) -> None:
    home.create_group("Maple Street MAG", member_name="Ann Organiser").close()
    app = make_app(home)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        comms = await open_plan(pilot, "c")
        assert isinstance(comms, CommsScreen)
        doc = session(app).doc
        await until(pilot, lambda: "no primary channel" in screen_text(app))
        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, RecordForm))
        await type_text(pilot, "Group chat")
        form = app.screen
        assert isinstance(form, RecordForm)
        form.editor_for("details").set_raw("Signal group 'Maple'")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: "no trigger for leaving the primary channel" in screen_text(app))
        assert [c.tier for c in doc.channels.all()] == ["primary"]

        await pilot.press("t")
        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, RecordForm))
        await type_text(pilot, "Boil water notice")
        form = app.screen
        assert isinstance(form, RecordForm)
        form.editor_for("urgency").set_raw("urgent")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: "Boil water notice" in screen_text(app))
        [notice] = doc.announcements.all()
        me = session(app).me()
        assert me is not None
        await until(pilot, lambda: doc.announcements.get(notice.id).author_id == me.id)
        assert doc.announcements.get(notice.id).posted_at is not None and notice.urgency == "urgent"
