"""Importing real-world spreadsheets through the real CLI: columns people use, all or nothing."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from formats.helpers import open_only, run_cli
from magnet.cli import main
from magnet.home import Home

pytestmark = pytest.mark.usefixtures("cli_group")


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8", bom: bytes = b"") -> Path:
    path = tmp_path / name
    path.write_bytes(bom + text.encode(encoding))
    return path


def test_a_semicolon_roster_with_bom_split_names_phone_columns_and_extras(
    tmp_path: Path, home: Home, capsys: pytest.CaptureFixture[str]
) -> None:
    roster = write(
        tmp_path,
        "roster.csv",
        "First name;Last name;Mobile;Home phone;E-mail;Block;Member since;OK to share;T-shirt size;Household\r\n"
        "Ann;Lee;555-0101;555-0199;ann@example.org;B;2025-03-14;yes;L;Lee family\r\n"
        "\r\n"
        'José;Núñez;"555-0102";;;C;14 Mar 2025;no;M;"Núñez; upstairs"\r\n'
        "Bea;Lee;555-0103;;;B;;y;;Lee family\r\n",
        bom=codecs.BOM_UTF8,
    )
    assert main(["import", str(roster), "--kind", "members"]) == 0
    out = capsys.readouterr().out
    assert "Imported 3 members" in out
    assert "Created 2 households" in out
    assert "'T-shirt size'" in out  # said where the unknown column went
    group = open_only(home)
    try:
        members = {m.name: m for m in group.doc.members.all()}
        households = {h.name: h for h in group.doc.households.all()}
    finally:
        group.close()
    ann, jose, bea = members["Ann Lee"], members["José Núñez"], members["Bea Lee"]
    assert ann.phones == {"mobile": "555-0101", "home": "555-0199"}
    assert ann.email == "ann@example.org" and ann.zone == "B"
    assert str(ann.joined) == "2025-03-14" and str(jose.joined) == "2025-03-14"
    assert ann.consent_share and not jose.consent_share and bea.consent_share
    assert ann.notes == "T-shirt size: L"
    assert bea.notes == ""  # an empty extra cell adds nothing
    assert ann.household_id == bea.household_id == households["Lee family"].id
    assert households["Lee family"].zone == "B"
    assert jose.household_id == households["Núñez; upstairs"].id


def test_a_bad_date_imports_nothing_and_names_line_field_and_reason(tmp_path: Path, home: Home) -> None:
    lines = ["Name,Joined,Phone"] + [f"Member {n},2025-01-0{n},555-010{n}" for n in range(1, 6)]
    lines.insert(6, "Gus Bad,03/04/2025,555-0199")  # file line 7
    lines.append("Hal Worse,,555-0200,")
    lines.append(",2025-01-01,555-0201")  # no name: line 9
    roster = write(tmp_path, "roster.csv", "\n".join(lines) + "\n")

    refused = run_cli("import", str(roster))
    assert refused.returncode == 1
    assert "Traceback" not in refused.stderr
    assert refused.stderr.startswith("magnet: error: nothing imported: 2 of 8 rows in roster.csv have problems")
    assert (
        "line 7: joined: '03/04/2025' could be 3 Apr 2025 (day first) or 4 Mar 2025 (month first)"
        " and nothing in the file settles it; write 2025-04-03 or 2025-03-04"
    ) in refused.stderr
    assert "line 9: name: must not be empty" in refused.stderr
    assert "--skip-invalid to import the 6 good rows" in refused.stderr
    group = open_only(home)
    assert len(group.doc.members) == 0  # all or nothing
    group.close()

    partial = run_cli("import", str(roster), "--skip-invalid")
    assert partial.returncode == 0, partial.stderr
    assert "Imported 6 members" in partial.stdout
    assert "Skipped 2 rows with problems" in partial.stderr  # problems always on stderr
    assert "line 7: joined:" in partial.stderr and "line 9: name:" in partial.stderr
    assert "line 7" not in partial.stdout
    group = open_only(home)
    names = sorted(m.name for m in group.doc.members.all())
    group.close()
    assert names == ["Hal Worse", "Member 1", "Member 2", "Member 3", "Member 4", "Member 5"]


def test_every_problem_in_a_row_is_reported_with_the_column_it_came_from(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    roster = write(tmp_path, "r.csv", "Full name,Member since,Status,Consent\nAnn,31/02/2025,retired,maybe\n")
    assert main(["import", str(roster)]) == 1
    err = capsys.readouterr().err
    assert "line 2: joined (column 'Member since'): '31/02/2025' is not a real date" in err
    assert "line 2: status: 'retired' is not one of: active, inactive, away, left" in err
    assert "line 2: consent_share (column 'Consent'): 'maybe' is not yes or no" in err


def test_events_from_excel_unicode_text_with_date_and_time_columns(tmp_path: Path, home: Home) -> None:
    sheet = write(
        tmp_path,
        "events.txt",
        "Event\tDate\tTime\tEnd time\tWhere\tDescription\tCancelled\r\n"
        'Radio drill\t2026-06-06\t9:30 AM\t11:00\tFire station\t"Check-in; then\r\nnet practice"\tno\r\n'
        "Potluck\tJun 20, 2026\t18:00\t\tHall\t\tyes\r\n",
        encoding="utf-16",
    )
    assert main(["import", str(sheet), "--kind", "events"]) == 0
    group = open_only(home)
    events = {e.name: e for e in group.doc.events.all()}
    group.close()
    drill, potluck = events["Radio drill"], events["Potluck"]
    assert str(drill.starts) == "2026-06-06 09:30:00" and str(drill.ends) == "2026-06-06 11:00:00"
    assert drill.place == "Fire station"
    assert drill.agenda == "Check-in; then\nnet practice"  # one kind of line end, whatever the sheet used
    assert str(potluck.starts) == "2026-06-20 18:00:00" and potluck.ends is None and potluck.cancelled


def test_inventory_with_units_in_the_quantity_and_holders_by_name(tmp_path: Path, home: Home) -> None:
    group = open_only(home)
    ann = group.doc.members.add(name="Ann Lee")
    group.close()
    sheet = write(
        tmp_path,
        "stock.csv",
        "Item,Qty,Location,Owner,Expiry,Colour\n"
        "Water,12 gallons,Garage,ann lee,2027-01-31,blue\n"
        "Radio,2,Shed,Zed Nobody,,\n"
        'Rope,"1,200",Shed,,,\n',
    )
    assert main(["import", str(sheet)]) == 0  # the kind is guessed
    group = open_only(home)
    items = {i.name: i for i in group.doc.inventory.all()}
    group.close()
    assert items["Water"].quantity == 12 and items["Water"].unit == "gallons"
    assert items["Water"].holder_id == ann.id and items["Water"].notes == "Colour: blue"
    assert items["Radio"].holder_id == "" and items["Radio"].notes == "Held by: Zed Nobody"  # kept, not guessed
    assert items["Rope"].quantity == 1200


def test_partners_are_recognised_by_their_headers(tmp_path: Path, home: Home) -> None:
    sheet = write(
        tmp_path,
        "partners.csv",
        "Organization,Type,Contact person,Telephone,Services,Last contacted\n"
        'Hardware on 5th,Business,Sam,555-0300,"generators, tarps",2026-02-01\n',
    )
    assert main(["import", str(sheet)]) == 0
    group = open_only(home)
    partner = group.doc.partners.all()[0]
    group.close()
    assert (partner.name, partner.kind, partner.contact_name, partner.phone) == (
        "Hardware on 5th",
        "business",
        "Sam",
        "555-0300",
    )
    assert partner.offers == frozenset({"generators", "tarps"})


def test_households_sheet(tmp_path: Path, home: Home) -> None:
    sheet = write(tmp_path, "h.csv", "Family,Street,City,Household size,Pets\nLee,12 Maple St,Springfield,4,cat\n")
    assert main(["import", str(sheet), "--kind", "households"]) == 0
    group = open_only(home)
    house = group.doc.households.all()[0]
    group.close()
    assert (house.name, house.address, house.people, house.pets) == ("Lee", "12 Maple St, Springfield", 4, "cat")


@pytest.mark.parametrize(
    ("text", "args", "expected"),
    [
        ("Colour,Size\nblue,L\n", (), "cannot tell what x.csv holds"),
        ("Zone,Email\nB,a@b.c\n", ("--kind", "members"), "has no column for name"),
        ("Title,Location\nDrill,Hall\n", ("--kind", "events"), "has no column for starts"),
    ],
)
def test_a_file_whose_columns_do_not_fit_is_one_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, args: tuple[str, ...], expected: str
) -> None:
    path = write(tmp_path, "x.csv", text)
    assert main(["import", str(path), *args]) == 1
    err = capsys.readouterr().err
    assert expected in err and err.count("\n") == 1


def test_a_binary_file_is_refused_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "roster.xlsx"
    path.write_bytes(b"PK\x03\x04" + bytes(200))
    assert main(["import", str(path)]) == 1
    err = capsys.readouterr().err
    assert "roster.xlsx is a spreadsheet workbook" in err and err.count("\n") == 1
    assert main(["import", str(tmp_path / "missing.csv")]) == 1
    assert "no file" in capsys.readouterr().err


def test_cells_past_the_last_header_are_kept_in_notes(tmp_path: Path, home: Home) -> None:
    path = write(tmp_path, "r.csv", "Name,Zone\nAnn,B,gate code 1234\n")
    assert main(["import", str(path)]) == 0
    group = open_only(home)
    ann = group.doc.members.all()[0]
    group.close()
    assert ann.notes == "Column 3: gate code 1234"


def test_importing_an_exported_file_again_changes_nothing(tmp_path: Path, home: Home) -> None:
    path = write(tmp_path, "r.csv", "Name,Zone\nAnn,B\nBob,C\n")
    assert main(["import", str(path)]) == 0
    exported = tmp_path / "out.csv"
    assert main(["export", "--format", "csv", "--kind", "members", "-o", str(exported)]) == 0
    group = open_only(home)
    before = group.doc.heads()
    group.close()
    result = run_cli("import", str(exported))
    assert result.returncode == 0
    assert "Imported 0 members" in result.stdout and "2 rows are already in the group as they are" in result.stdout
    group = open_only(home)
    assert group.doc.heads() == before
    group.close()


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("--format", "csv"), "add --kind members|households|inventory|partners|events"),
        (("--format", "csv", "--kind", "goals"), "cannot export 'goals' as CSV"),
        (("--format", "vcard", "--kind", "members"), "--kind is for csv; vcard always holds the roster"),
    ],
)
def test_export_arguments_that_do_not_fit_are_one_clear_error(
    capsys: pytest.CaptureFixture[str], args: tuple[str, ...], expected: str
) -> None:
    assert main(["export", *args]) == 1
    err = capsys.readouterr().err
    assert expected in err and err.count("\n") == 1


def test_the_import_guide_lists_every_recognised_header() -> None:
    from magnet.formats.columns import CSV_KINDS, recognised_headers

    guide = (Path(__file__).parents[2] / "docs" / "IMPORT.md").read_text().lower()
    for kind in CSV_KINDS:
        for heading, language in ((f"### {kind}\n", "en"), (f"#### {kind} in other languages", "")):
            section = guide[guide.index(heading) :]
            table = section[: section.index("\n\n", section.index("|"))]
            for lang in [language] if language else ["de", "es", "fr", "pt"]:
                for label, headers in recognised_headers(kind, language=lang).items():
                    row = next((line for line in table.splitlines() if line.startswith(f"| {label.lower()} |")), "")
                    assert row, (kind, lang, label)
                    missing = [h for h in headers if h not in row]
                    assert not missing, (kind, lang, label, missing)
