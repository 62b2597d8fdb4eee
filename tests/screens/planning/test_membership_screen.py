"""Membership at 80x24: levels and roles with responsibilities and holders, giving a role, and members gone quiet."""

from __future__ import annotations

from datetime import date, datetime

from plan_app import SIZE, make_app, open_plan, screen_text, session, started, until
from textual.widgets import Input

from magnet.home import Home
from screens.planning.members import MembershipScreen
from screens.record_detail import RecordDetail
from screens.widgets.modals import PickModal

NOW = datetime(2026, 5, 4, 10, 0)


async def test_roles_with_holders_giving_a_role_and_marking_a_quiet_member_seen(home: Home) -> None:
    home.create_group("Maple Street MAG").close()
    app = make_app(home, now=NOW)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await started(pilot)
        doc = session(app).doc
        doc.roles.add(name="Core team", kind="level", responsibilities="Run meetings, keep the roster")
        captain = doc.roles.add(name="Block captain", kind="role", responsibilities="Sweep one block after a storm")
        ann = doc.members.add(name="Ann Lead", level="core_team", last_active=date(2026, 5, 1))
        bob = doc.members.add(name="Bob Quiet", last_active=date(2025, 11, 1))
        doc.members.add(name="Cy Helper", level="volunteer", last_active=date(2026, 4, 1))
        doc.events.add(name="Spring meeting", starts=datetime(2026, 4, 20, 19), attendance={ann.id})

        screen = await open_plan(pilot, "m")
        assert isinstance(screen, MembershipScreen)
        await until(pilot, lambda: "Block captain" in screen_text(app) and "Volunteer" in screen_text(app))
        assert "2 held but not described yet" in screen_text(app), "volunteer (Cy) and active member (Bob)"
        screen.table().select("level:core_team")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, RecordDetail) and "Held by 1 Ann Lead" in screen_text(app))
        assert "Run meetings, keep the roster" in screen_text(app)
        await pilot.press("escape")

        screen.table().select("role:block_captain")
        await pilot.press("g")
        await until(pilot, lambda: isinstance(app.screen, PickModal))
        app.screen.query_one(Input).value = "Cy Help"
        await pilot.pause()
        await pilot.press("enter")
        cy = doc.members.filter(name="Cy Helper")[0]
        await until(pilot, lambda: doc.members.get(cy.id).roles == {"block captain"})
        await until(pilot, lambda: any(p.role == captain and p.holders for p in screen.data.posts))

        await pilot.press("t")
        await until(pilot, lambda: screen.tab == "quiet" and "Bob Quiet" in screen_text(app))
        assert [s.member.name for s in screen.table().visible_rows] == ["Bob Quiet"]
        assert "2025-11-01" in screen_text(app) and "marked active" in screen_text(app)
        await pilot.press("m")
        await until(pilot, lambda: doc.members.get(bob.id).last_active == NOW.date())
        await until(pilot, lambda: "Bob Quiet" not in screen_text(app))
