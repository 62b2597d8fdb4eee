"""A magnet export edited in a spreadsheet and imported back: exactly the edited cells, nothing else."""

from __future__ import annotations

import csv
import io
import json
import os
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from formats.helpers import open_only, run_cli
from magnet.cli import main
from magnet.document import GroupDocument
from magnet.formats.csv_export import export_csv
from magnet.formats.csv_import import import_csv, plan_csv
from magnet.home import Home
from magnet.record import SYSTEM_FIELDS
from magnet.safetext import BIDI_CONTROLS

DEVICE = "ab" * 16


def new_doc() -> GroupDocument:
    return GroupDocument.create("Maple Street MAG", device_id=DEVICE, group_id=os.urandom(16).hex())


def rows_of(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def as_csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode("utf-8")


def state(doc: GroupDocument) -> dict[str, dict[str, Any]]:
    return {
        r.id: {k: v for k, v in r.values().items() if k not in SYSTEM_FIELDS}
        for r in doc.members.all(include_archived=True)
    }


def roster() -> GroupDocument:
    doc = new_doc()
    lee = doc.households.add(name="Lee", zone="B")
    doc.members.add(name="Ann Lee", household_id=lee.id, zone="B", phones={"mobile": "555-0101"}, joined="2025-03-14")
    doc.members.add(name="Bo Diaz", zone="C", email="bo@example.org", skills="radio: trained")
    doc.members.add(name="Cy Ng", zone="A", notes="Night shifts")
    return doc


def test_two_cells_changed_and_a_row_added_in_the_sheet_and_a_field_changed_in_magnet() -> None:
    doc = roster()
    rows = rows_of(export_csv(doc, "members"))
    header = rows[0]
    col = {name: header.index(name) for name in ("Name", "Zone / block", "Email", "Notes", "Phones", "Joined")}
    by_name = {row[col["Name"]]: row for row in rows[1:]}
    by_name["Ann Lee"][col["Zone / block"]] = "D"  # edit 1, in the sheet
    by_name["Bo Diaz"][col["Email"]] = "bo@new.example"  # edit 2, in the sheet
    by_name["Cy Ng"][col["Notes"]] = "Works days now"  # an edit the sheet loses to magnet's (below)
    rows.append(["Di Ok", "", "E", "mobile: 555-0104"] + [""] * (len(header) - 4))  # a new row, no ID
    rows.sort(key=lambda r: r[0] if r is not header else "")  # a spreadsheet's sort keeps every column with its row
    ann = next(m for m in doc.members.all() if m.name == "Ann Lee")
    cy = next(m for m in doc.members.all() if m.name == "Cy Ng")
    doc.members.update(cy.id, notes="Retired")  # edit 3, in magnet meanwhile
    doc.members.update(ann.id, callsign="KD2ABC")  # magnet edits a field the sheet did not touch
    before = state(doc)

    plan = plan_csv(doc, as_csv(rows), "members.csv", kind=None, skip_invalid=False)
    assert state(doc) == before, "planning writes nothing"
    summary = plan.apply()
    assert summary.imported == 1 and summary.updated == 3 and summary.unchanged == 0, summary.describe()
    assert summary.changes == [
        "line 2, Ann Lee: zone / block: 'B' -> 'D'",
        "line 3, Bo Diaz: email: 'bo@example.org' -> 'bo@new.example'",
    ]
    assert summary.kept == [
        "line 4, Cy Ng: notes: the sheet says 'Works days now', magnet has 'Retired' since the export"
    ]
    after = state(doc)
    new = [after[i] for i in after.keys() - before.keys()]
    assert len(new) == 1 and new[0]["name"] == "Di Ok" and new[0]["phones"] == {"mobile": "555-0104"}
    expected = {i: dict(v) for i, v in before.items()}
    expected[ann.id]["zone"] = "D"
    bo_id = next(i for i, v in before.items() if v["name"] == "Bo Diaz")
    expected[bo_id]["email"] = "bo@new.example"
    assert {i: after[i] for i in before} == expected  # exactly those changes, nothing else
    assert doc.members.get(ann.id).updated_by == doc.device_id  # edits made by this device


def test_rows_deleted_in_the_sheet_are_said_and_never_deleted() -> None:
    doc = roster()
    rows = rows_of(export_csv(doc, "members"))
    kept = [rows[0], rows[1]]
    before = state(doc)
    summary = import_csv(doc, as_csv(kept), "members.csv", kind=None, skip_invalid=False)
    assert state(doc) == before
    assert any("2 members are in the export but not in the sheet (Bo Diaz, Cy Ng)" in n for n in summary.notes)
    assert not summary.nothing_imported


def test_excel_rewrites_dates_and_the_exported_values_settle_them() -> None:
    doc = new_doc()
    doc.members.add(name="Ann", joined="2025-03-04")
    doc.members.add(name="Bo", joined="2025-05-06")
    rows = rows_of(export_csv(doc, "members"))
    joined = rows[0].index("Joined")
    for row, text in zip(rows[1:], ("3/4/2025", "5/6/2025"), strict=True):  # en-US Excel saves dates its own way
        row[joined] = text
    before = state(doc)
    summary = import_csv(doc, as_csv(rows), "m.csv", kind=None, skip_invalid=False)
    assert not summary.failed and summary.unchanged == 2 and state(doc) == before, summary.describe()


def test_a_copied_row_and_a_changed_household_name(tmp_path: Path) -> None:
    doc = roster()
    diaz = doc.households.add(name="Diaz", zone="C")
    rows = rows_of(export_csv(doc, "members"))
    header = rows[0]
    ann_row = next(r for r in rows if r[0] == "Ann Lee")
    copy = list(ann_row)
    copy[0] = "Al Lee"  # duplicate a row to make a new person: a record of its own
    copy[header.index("Phones")] = "mobile: 555-0199"
    ann_row[header.index("Household")] = "Diaz"  # relinked by name; the Household ID cell still says Lee
    rows.append(copy)
    summary = import_csv(doc, as_csv(rows), "m.csv", kind=None, skip_invalid=False)
    assert summary.imported == 1, summary.describe()
    members = {m.name: m for m in doc.members.all()}
    assert members["Ann Lee"].household_id == diaz.id
    assert members["Al Lee"].id != members["Ann Lee"].id


_BIDI = "".join(map(chr, BIDI_CONTROLS))  # refused on input, like every control character
_text = st.text(
    alphabet=st.characters(
        blacklist_categories=("Cs", "Cc", "Zl", "Zp"), whitelist_characters="\n", blacklist_characters=_BIDI
    ),
    max_size=30,
).map(str.strip)
_line = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp"), blacklist_characters=_BIDI), max_size=30
).map(str.strip)
_word = (
    st.text(
        alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp"), blacklist_characters=",;:=\n" + _BIDI),
        min_size=1,
        max_size=10,
    )
    .map(str.strip)
    .filter(bool)
)


@st.composite
def members(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "name": draw(_line.filter(bool)),
        "zone": draw(_line),
        "email": draw(_line),
        "notes": draw(_text),
        "organisation": draw(_line),
        "languages": draw(st.frozensets(_word, max_size=3)),
        "skills": draw(st.dictionaries(_word, st.sampled_from(["basic", "trained", "certified"]), max_size=2)),
        "phones": draw(st.dictionaries(_word, _word, max_size=2)),
        "other_emails": draw(st.dictionaries(_word, _word, max_size=2)),
        "joined": draw(st.none() | st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 1, 1))),
        "consent_share": draw(st.booleans()),
        "medical_notes": draw(_text),
    }


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(members(), min_size=1, max_size=5), st.booleans())
def test_any_roster_exported_and_imported_back_unchanged_changes_nothing(
    rows: list[dict[str, Any]], sensitive: bool
) -> None:
    doc = new_doc()
    doc.members.add_many(rows)
    heads = doc.heads()
    summary = import_csv(doc, export_csv(doc, "members", sensitive=sensitive), "m.csv", kind=None, skip_invalid=False)
    assert not summary.failed and summary.unchanged == len(rows), summary.describe()
    assert doc.heads() == heads


# ---- duplicates, and the command line for scripts ------------------------------------------------


@pytest.mark.usefixtures("cli_group")
def test_duplicates_in_the_file_and_against_the_roster_need_allow_duplicates(tmp_path: Path, home: Home) -> None:
    group = open_only(home)
    group.doc.members.add(name="Ann Lee", phones={"mobile": "+1 555-0101"})
    group.close()
    path = tmp_path / "r.csv"
    path.write_text(
        "Name,Mobile,Email\nAnn Lee,555-0101,\nBo Diaz,,bo@example.org\nbo diaz,555-0199,BO@example.org\nCy Ng,,\n"
    )
    refused = run_cli("import", str(path))
    assert refused.returncode == 1 and refused.stdout == ""
    assert "line 2: Ann Lee (5550101) looks like Ann Lee already in the group" in refused.stderr
    assert "line 4: bo diaz (bo@example.org) looks like line 3" in refused.stderr
    assert "--allow-duplicates" in refused.stderr
    skipped = run_cli("import", str(path), "--skip-invalid")
    assert skipped.returncode == 0 and "Imported 2 members" in skipped.stdout and "line 4" in skipped.stderr
    allowed = run_cli("import", str(tmp_path / "r.csv"), "--allow-duplicates")
    assert allowed.returncode == 0 and "Imported 4 members" in allowed.stdout, allowed.stderr


@pytest.mark.usefixtures("cli_group")
def test_skip_invalid_with_every_row_failing_exits_1(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text("Name,Joined\nAnn,31/02/2025\nBo,not a date\n")
    result = run_cli("import", str(path), "--skip-invalid")
    assert result.returncode == 1
    assert "Imported 0 members" in result.stdout and "line 2" in result.stderr and "line 2" not in result.stdout


@pytest.mark.usefixtures("cli_group")
def test_list_as_table_tsv_and_json_and_sensitive_everywhere(
    home: Home, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    group = open_only(home)
    group.doc.members.add(name="Ann Lee", zone="B", notes="line one\nline\ttwo", medical_notes="insulin")
    group.close()
    capsys.readouterr()
    assert main(["list", "members"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split() == ["ID", "Name", "Household", "Zone", "/", "block", "Phones"]
    assert "Ann Lee" in table[1]
    assert main(["list", "members", "--format", "tsv"]) == 0
    tsv = [line.split("\t") for line in capsys.readouterr().out.splitlines()]
    assert tsv[0][:3] == ["ID", "Name", "Household"] and "Medical notes" not in tsv[0]
    assert tsv[1][tsv[0].index("Notes")] == "line one\\nline\\ttwo"
    assert main(["list", "members", "--format", "json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed[0]["name"] == "Ann Lee" and "medical_notes" not in listed[0]
    assert main(["list", "members", "--format", "json", "--sensitive"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["medical_notes"] == "insulin"
    assert main(["export", "--format", "json"]) == 0
    assert "insulin" not in capsys.readouterr().out
    assert main(["export", "--format", "json", "--sensitive"]) == 0
    assert "insulin" in capsys.readouterr().out


def test_a_quantity_changed_in_the_sheet_is_applied_as_an_adjustment() -> None:
    doc = new_doc()
    water = doc.inventory.add(name="Water", quantity=12)
    rows = rows_of(export_csv(doc, "inventory"))
    rows[1][rows[0].index("Quantity")] = "10"  # two used, counted in the sheet
    doc.inventory.adjust(water.id, "quantity", 3)  # three arrived, recorded in magnet meanwhile
    summary = import_csv(doc, as_csv(rows), "i.csv", kind=None, skip_invalid=False)
    assert doc.inventory.get(water.id).quantity == 13, summary.describe()
    assert summary.changes == ["line 2, Water: quantity: 12 -> 10 in the sheet, so -2 (now 13)"]
