"""Inventory: quick adjustments that add up across devices, loans and returns, warnings, days on hand."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tui_drive import SIZE, make_app, open_area, screen_text, session, settle, type_text, until, with_sample

from magnet.home import Home
from screens.inventory import InventoryScreen, ItemLine, LineMemo, stock_lines
from screens.widgets.modals import ConfirmModal, PromptModal
from screens.widgets.record_form import RecordForm


async def _inventory(pilot) -> InventoryScreen:  # type: ignore[no-untyped-def]
    return await open_area(pilot, "4", InventoryScreen)


async def test_plus_minus_and_adjust_by_amount(home: Home) -> None:
    sample_home = with_sample(home)
    app = make_app(sample_home)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await _inventory(pilot)
        doc = session(app).doc
        item = doc.inventory.add(name="Aaa water jugs", category="water", quantity=10, unit="gallon", days_per_unit=1)
        await until(pilot, lambda: screen.records.select(item.id))
        await pilot.press("plus", "plus", "minus")
        await until(pilot, lambda: doc.inventory.get(item.id).quantity == 11)
        await pilot.press("equals_sign")
        await until(pilot, lambda: isinstance(app.screen, PromptModal))
        await type_text(pilot, "abc")
        await pilot.press("enter")
        await settle(pilot)
        assert "not a number" in screen_text(app)
        app.screen.query_one("#prompt").value = ""  # type: ignore[attr-defined]
        await type_text(pilot, "-4")
        await pilot.press("enter")
        await until(pilot, lambda: doc.inventory.get(item.id).quantity == 7)
        await until(pilot, lambda: "7 gallon" in screen_text(app))
        for _ in range(8):
            await pilot.press("minus")
        await until(pilot, lambda: "drop below 0" in screen_text(app))
        assert doc.inventory.get(item.id).quantity == 0


async def test_a_concurrent_adjustment_on_another_device_adds_up(home: Home) -> None:
    sample_home = with_sample(home)
    app = make_app(sample_home)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await _inventory(pilot)
        doc = session(app).doc
        item = doc.inventory.add(name="Aaa batteries", quantity=20, unit="pack")
        other = doc.fork()  # another laptop, holding the same item
        await until(pilot, lambda: screen.records.select(item.id))
        await pilot.press("minus", "minus")  # two packs handed out here...
        other.inventory.adjust(item.id, "quantity", 5)  # ...while five are donated over there
        await settle(pilot)
        doc.apply_changes(other.changes_since(doc.heads()))
        await until(pilot, lambda: doc.inventory.get(item.id).quantity == 23)
        await until(pilot, lambda: "23 pack" in screen_text(app))


async def test_lend_and_return(home: Home) -> None:
    sample_home = with_sample(home)
    app = make_app(sample_home)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await _inventory(pilot)
        doc = session(app).doc
        borrower = doc.members.add(name="Aaa Borrower")
        item = doc.inventory.add(name="Aaa generator", category="power", quantity=1)
        await until(pilot, lambda: screen.records.select(item.id))
        await pilot.press("l")
        await until(pilot, lambda: isinstance(app.screen, RecordForm))
        form = app.screen
        assert isinstance(form, RecordForm)
        form.editor_for("member_id").set_raw(borrower.id)
        form.editor_for("due_back").set_raw((date.today() + timedelta(days=7)).isoformat())
        await pilot.press("ctrl+s")
        await until(pilot, lambda: len(doc.loans.filter(item_id=item.id)) == 1)
        [loan] = doc.loans.filter(item_id=item.id)
        assert (loan.member_id, loan.quantity, loan.lent_on) == (borrower.id, 1, date.today())
        await until(pilot, lambda: "out 1" in screen_text(app))
        screen.records.search.value = "is:out"
        await settle(pilot)
        assert [i.id for i in screen.records.visible_rows] == [item.id]
        screen.records.table.focus()
        await pilot.press("r")
        await until(pilot, lambda: isinstance(app.screen, ConfirmModal))
        await pilot.press("y")
        await until(pilot, lambda: doc.loans.get(loan.id).returned)
        assert doc.loans.get(loan.id).returned_on == date.today()
        await pilot.press("t")
        await settle(pilot)
        assert screen.view == "loans"
        assert "Aaa Borrower" in screen_text(app)


async def test_warnings_and_days_of_water_and_food(home: Home) -> None:
    sample_home = with_sample(home)
    app = make_app(sample_home)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await _inventory(pilot)
        doc = session(app).doc
        low = doc.inventory.add(name="Aaa bandages", category="medical", quantity=2, minimum=10)
        old = doc.inventory.add(name="Aaa beans", category="food", quantity=3, expires=date.today() - timedelta(1))
        await until(pilot, lambda: screen.records.select(low.id))
        text = screen_text(app)
        assert "LOW" in text and "EXPIRED" in text
        head = screen.query_one("#head")
        assert "water" in str(head.render()) and "people" in str(head.render())
        screen.records.search.value = "is:low aaa"
        await settle(pilot)
        assert [i.id for i in screen.records.visible_rows] == [low.id]
        screen.records.search.value = "is:exp aaa"
        await settle(pilot)
        assert [i.id for i in screen.records.visible_rows] == [old.id]
        screen.records.search.value = "cat:medical"
        await settle(pilot)
        assert screen.records.visible_rows and all(i.category == "medical" for i in screen.records.visible_rows)


def sheet(lines: list[ItemLine]) -> list[ItemLine]:
    return sorted(lines, key=lambda line: line.id)


def test_a_reload_remakes_only_the_stock_lines_whose_lots_changed(tmp_path: Path) -> None:
    group = Home(tmp_path / "home").create_group("Maple Street")
    inventory = group.doc.inventory
    water = [inventory.add(name="Water", unit="gallon", quantity=q, location=p) for q, p in ((4, "A"), (6, "B"))]
    rice = inventory.add(name="Rice", unit="kg", quantity=10)
    inventory.add(name="AA batteries", unit="pack", quantity=3)
    memo = LineMemo()
    first = {line.id: line for line in stock_lines(inventory.all(), memo)}
    inventory.adjust(water[1].id, "quantity", -2)  # one lot of the water line changes
    again = stock_lines(inventory.all(), memo)
    by_id = {line.id: line for line in again}
    assert by_id[rice.id] is first[rice.id]  # untouched: the very same line
    water_line = next(line for line in again if line.name == "Water")
    assert water_line is not first[water_line.id] and water_line.quantity == 8
    assert sheet(again) == sheet(stock_lines(inventory.all()))  # what a fresh sheet says, line for line
    inventory.update(rice.id, name="Brown rice")  # a renamed lot moves to a line of its own name
    renamed = stock_lines(inventory.all(), memo)
    assert [line.name for line in renamed if line.item and line.item.id == rice.id] == ["Brown rice"]
    assert sheet(renamed) == sheet(stock_lines(inventory.all()))
    inventory.purge(rice.id)  # gone from the document: gone from the sheet
    assert rice.id not in {lot.id for line in stock_lines(inventory.all(), memo) for lot in line.lots}
    group.close()


async def test_a_change_to_one_item_formats_only_its_line_again(home: Home) -> None:
    app = make_app(with_sample(home))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await _inventory(pilot)
        doc = session(app).doc
        member = doc.members.add(name="Aaa Borrower")
        changed = doc.inventory.add(name="Aaa rope", quantity=3, unit="coil")
        kept = doc.inventory.add(name="Aab tarps", quantity=4)
        await until(pilot, lambda: screen.records.select(kept.id) and changed.id in screen.records._cells)
        before = screen.records._cells[kept.id]
        doc.inventory.adjust(changed.id, "quantity", 2)
        await until(pilot, lambda: "5 coil" in str(screen.records._cells[changed.id][1]))
        assert screen.records._cells[kept.id] is before  # the untouched line's cells, reused
        # A loan changes what the untouched line shows (its flags) though the line is the same:
        # its cells are formatted again, never shown stale.
        doc.loans.add(item_id=kept.id, member_id=member.id, quantity=1, lent_on=date.today())
        await until(pilot, lambda: "out 1" in str(screen.records._cells[kept.id][2]))


@settings(max_examples=25, deadline=None)
@given(
    steps=st.lists(
        st.tuples(
            st.sampled_from(["add", "adjust", "rename", "archive", "restore", "purge"]),
            st.integers(0, 7),
            st.sampled_from(["Water", "water ", "Rice", "AA batteries"]),
        ),
        max_size=25,
    )
)
def test_a_kept_sheet_always_equals_a_fresh_one(tmp_path_factory: pytest.TempPathFactory, steps: list) -> None:  # type: ignore[type-arg]
    group = Home(tmp_path_factory.mktemp("memo")).create_group("Maple Street")
    inventory = group.doc.inventory
    memo = LineMemo()
    try:
        for action, pick, name in steps:
            items = inventory.all(include_archived=True)
            item = items[pick % len(items)] if items else None
            if action == "add" or item is None:
                inventory.add(name=name, unit="gallon", quantity=pick, location=f"shelf {pick}")
            elif action == "adjust":
                inventory.adjust(item.id, "quantity", 1)
            elif action == "rename":
                inventory.update(item.id, name=name)
            elif action in ("archive", "restore"):
                getattr(inventory, action)(item.id)
            else:
                inventory.purge(item.id)
            every = inventory.all(include_archived=True)
            assert sheet(stock_lines(every, memo)) == sheet(stock_lines(every))
    finally:
        group.close()
