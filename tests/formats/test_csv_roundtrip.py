"""Export then import gives the same records: every CSV kind, awkward text, and random rosters."""

from __future__ import annotations

import contextlib
import csv
import io
import os
from datetime import date, datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from magnet.document import GroupDocument
from magnet.errors import MagnetError
from magnet.formats.columns import CSV_KINDS
from magnet.formats.csv_export import export_csv, headers_for
from magnet.formats.csv_import import import_csv
from magnet.record import SYSTEM_FIELDS, Record
from magnet.safetext import BIDI_CONTROLS

DEVICE = "ab" * 16


def new_doc(name: str = "Maple Street MAG") -> GroupDocument:
    return GroupDocument.create(name, device_id=DEVICE, group_id=os.urandom(16).hex())


def comparable(record: Record) -> dict[str, Any]:
    return {k: v for k, v in record.values().items() if k not in SYSTEM_FIELDS}


def records(doc: GroupDocument, kind: str) -> dict[str, dict[str, Any]]:
    return {r.id: comparable(r) for r in doc.collection(CSV_KINDS[kind]).all()}


def carry(source: GroupDocument, target: GroupDocument, kind: str, *, sensitive: bool = True) -> None:
    data = export_csv(source, kind, sensitive=sensitive)
    summary = import_csv(target, data, f"{kind}.csv", kind=None, skip_invalid=False)
    assert not summary.failed, summary.describe()
    assert summary.kind == kind  # the exported headers say what the file holds


def filled_group() -> GroupDocument:
    doc = new_doc()
    lee = doc.households.add(name="Lee", zone="B", address="12 Maple St", people=4, pets="cat", special_needs="stairs")
    lee2 = doc.households.add(name="Lee", zone="C", people=2)  # a namesake: only the ID tells them apart
    for name, kind in (("block captain", "role"), ("medic", "role"), ("Street rep", "level")):
        doc.roles.add(name=name, kind=kind)  # the source group's list; the target gets them from the file
    ann = doc.members.add(
        name="Ann Lee",
        household_id=lee.id,
        zone="B",
        phones={"mobile": "+1 555-0101", "home": "555-0199"},
        email="ann@example.org",
        callsign="KD2ABC",
        languages="en, es",
        level="core_team",
        roles="block captain; medic",
        joined="2025-03-14",
        skills="first aid: certified, radio",
        consent_share=True,
        address="12 Maple St",
        emergency_contact="Bo Lee, 555-0123",
        special_needs="uses a wheelchair",
        medical_notes="insulin; keep cold",
        notes='Says "hi"\nsecond line, with a comma',
    )
    doc.members.add(name="José Núñez", household_id=lee2.id, level="Street rep", status="away")
    doc.members.add(name='=HYPERLINK("http://x")', notes="@everyone -1 +2", zone="'=quoted")
    doc.inventory.add(
        name="Water, 1 gal",
        category="water",
        quantity=12.5,
        unit="gallon",
        location="Garage",
        holder_id=ann.id,
        condition="fair",
        shareable=False,
        expires="2027-01-31",
        minimum=10,
        days_per_unit=1,
        notes="Rotate in spring",
    )
    doc.inventory.add(name="Generator", category="backup power", quantity=1000000)
    doc.partners.add(
        name="Hardware on 5th",
        kind="business",
        contact_name="Sam",
        phone="555-0300",
        email="sam@hw.example",
        address="5th & Main",
        offers="generators; tarps",
        agreements="Discount in emergencies",
        last_contact="2026-02-01",
        follow_up="2026-08-01",
        notes="Open Sundays",
    )
    doc.events.add(
        name="Radio drill",
        kind="drill",
        starts=datetime(2026, 6, 6, 9, 30),
        ends=datetime(2026, 6, 6, 11, 0, 30),
        place="Fire station",
        virtual_link="https://meet.example/abc?x=1,2",
        organiser_id=ann.id,
        guests=3,
        cancelled=True,
        agenda="1. Check-in\n2. Net practice; bring radios",
        minutes="All present",
    )
    return doc


def test_every_kind_round_trips_exactly_ids_and_links_included() -> None:
    source, target = filled_group(), new_doc("Elsewhere")
    for kind in ("households", "members", "inventory", "partners", "events"):
        carry(source, target, kind)
    for kind in CSV_KINDS:
        assert records(target, kind) == records(source, kind), kind
    # Byte for byte, but for the version column (each group has its own): the same file.
    for kind in CSV_KINDS:
        assert without_versions(export_csv(target, kind, sensitive=True)) == without_versions(
            export_csv(source, kind, sensitive=True)
        )


def without_versions(data: bytes) -> list[list[str]]:
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0][-1] == "magnet version"
    return [row[:-1] for row in rows]


def test_members_before_households_link_to_the_right_namesake_and_fill_them_later() -> None:
    source, target = filled_group(), new_doc("Elsewhere")
    carry(source, target, "members")
    bare = {h.id: h for h in target.households.all()}
    assert {(h.name, h.address, h.pets) for h in bare.values()} == {("Lee", "", "")}
    summary = import_csv(
        target, export_csv(source, "households", sensitive=True), "h.csv", kind=None, skip_invalid=False
    )
    assert summary.filled == 2 and summary.imported == 0, summary.describe()
    assert any("filled with '12 Maple St'" in line for line in summary.changes), summary.changes
    for member in source.members.all():
        assert target.members.get(member.id).household_id == member.household_id
    # The households a roster made from names now hold what the households sheet says.
    assert records(target, "households") == records(source, "households")


def test_without_sensitive_those_columns_are_absent_and_stay_empty() -> None:
    source, target = filled_group(), new_doc("Elsewhere")
    headers = headers_for("members", sensitive=False)
    assert not {"Address", "Emergency contact", "Special needs", "Medical notes"} & set(headers)
    data = export_csv(source, "members", sensitive=False).decode("utf-8-sig")
    assert "insulin" not in data and "12 Maple St" not in data and "wheelchair" not in data
    carry(source, target, "members", sensitive=False)
    ann = next(m for m in target.members.all() if m.name == "Ann Lee")
    assert ann.medical_notes == "" and ann.phones == {"mobile": "+1 555-0101", "home": "555-0199"}


def test_formula_like_text_is_inert_in_the_file_and_exact_after_import() -> None:
    source = filled_group()
    data = export_csv(source, "members", sensitive=True).decode("utf-8-sig")
    assert "'=HYPERLINK" in data and "'@everyone" in data and "''=quoted" in data
    target = new_doc("Elsewhere")
    carry(source, target, "members")
    names = {m.name for m in target.members.all()}
    assert '=HYPERLINK("http://x")' in names


def test_the_export_is_excel_friendly() -> None:
    data = export_csv(filled_group(), "events")
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: Excel shows accents right
    assert b"\r\n" in data


_BIDI = "".join(map(chr, BIDI_CONTROLS))  # refused on input, like every control character
_text = st.text(
    alphabet=st.characters(
        blacklist_categories=("Cs", "Cc", "Zl", "Zp"), whitelist_characters="\n", blacklist_characters=_BIDI
    ),
    max_size=40,
).map(str.strip)
_line = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp"), blacklist_characters=_BIDI), max_size=40
).map(str.strip)
_word = (
    st.text(
        alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp"), blacklist_characters=",;:=\n" + _BIDI),
        min_size=1,
        max_size=12,
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
        "languages": draw(st.frozensets(_word, max_size=3)),
        "skills": draw(
            st.dictionaries(_word, st.sampled_from(["basic", "trained", "certified", "expert"]), max_size=3)
        ),
        "phones": draw(st.dictionaries(_word, _word, max_size=2)),
        "joined": draw(st.none() | st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 1, 1))),
        "consent_share": draw(st.booleans()),
    }


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(members(), min_size=1, max_size=6))
def test_random_rosters_round_trip(rows: list[dict[str, Any]]) -> None:
    source, target = new_doc(), new_doc("Elsewhere")
    source.members.add_many(rows)
    carry(source, target, "members")
    assert records(target, "members") == records(source, "members")


_cells = st.text(alphabet=st.sampled_from(list('ab1-/:; ,"\n\r\t=é')), max_size=12)
_headers = st.sampled_from(
    ["Name", "First name", "Mobile", "Joined", "Qty", "Item", "Date", "Time", "End time", "Household", "Zone", "X", ""]
)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(_headers, min_size=1, max_size=6),
    st.lists(st.lists(_cells, max_size=8), max_size=6),
    st.sampled_from([",", ";", "\t"]),
    st.sampled_from(["utf-8", "utf-16", "cp1252"]),
)
def test_any_spreadsheet_either_imports_or_says_why(
    headers: list[str], rows: list[list[str]], delimiter: str, encoding: str
) -> None:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter).writerows([headers, *rows])
    data = out.getvalue().encode(encoding, errors="replace")
    doc = new_doc()
    try:
        summary = import_csv(doc, data, "x.csv", kind=None, skip_invalid=True)
    except MagnetError:
        assert len(doc.members) + len(doc.inventory) + len(doc.events) == 0
        return
    stored = len(doc.collection(CSV_KINDS[summary.kind]).all())
    assert stored == summary.imported == summary.rows - summary.bad_rows - summary.already_here


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes_never_crash_the_import(data: bytes) -> None:
    with contextlib.suppress(MagnetError):
        import_csv(new_doc(), data, "x.csv", kind="members", skip_invalid=False)
