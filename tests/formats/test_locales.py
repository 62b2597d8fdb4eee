"""Sheets as other locales write them: decimal commas, day/month order, headers in five languages, mixed encodings."""

from __future__ import annotations

import os
from datetime import date

import pytest

from magnet.document import GroupDocument
from magnet.errors import MagnetError
from magnet.formats.csv_import import import_csv

DEVICE = "ab" * 16


def new_doc() -> GroupDocument:
    return GroupDocument.create("Maple Street MAG", device_id=DEVICE, group_id=os.urandom(16).hex())


def test_a_libreoffice_semicolon_sheet_with_decimal_commas_and_day_first_dates() -> None:
    doc = new_doc()
    data = (
        "Item;Menge;Einheit;Lagerort;Ablaufdatum;Mindestbestand\r\n"
        "Wasser;24,5;Liter;Keller;31.01.2027;10\r\n"
        "Reis;1.250,75;kg;Küche;05.06.2027;2,5\r\n"
        "Kerzen;12;Stück;Flur;06/05/2027;0\r\n"
    ).encode()
    summary = import_csv(doc, data, "lager.csv", kind=None, skip_invalid=False)
    assert not summary.failed, summary.describe()
    assert summary.kind == "inventory"
    items = {i.name: i for i in doc.inventory.all()}
    assert items["Wasser"].quantity == 24.5 and items["Wasser"].unit == "Liter" and items["Wasser"].location == "Keller"
    assert items["Reis"].quantity == 1250.75 and items["Reis"].minimum == 2.5
    assert items["Wasser"].expires == date(2027, 1, 31) and items["Reis"].expires == date(2027, 6, 5)
    # The dotted dates settle the column: 06/05/2027 is the 6th of May, as the others are day first.
    assert items["Kerzen"].expires == date(2027, 5, 6)
    said = "\n".join(summary.read_as)
    assert "semicolons" in said
    assert "Column 'Ablaufdatum': dates read day first ('31.01.2027' on line 2 settles it)." in said
    assert "Column 'Menge': numbers read with a decimal comma" in said


def test_a_german_header_row_fills_every_field() -> None:
    doc = new_doc()
    data = (
        "Name;Vorname;Telefon;Handy;E-Mail;Adresse;PLZ;Ort;Haushalt;Mitglied seit;Notizen;Sprachen;Fähigkeiten\r\n"
        "Müller;Hans;030 1234567;0170 7654321;hans@example.de;Lindenstraße 5;10115;Berlin;Müller;18.06.2025;"
        "Hat einen Generator;de, en;Erste Hilfe: certified\r\n"
    ).encode("cp1252")
    summary = import_csv(doc, data, "mitglieder.csv", kind=None, skip_invalid=False)
    assert not summary.failed, summary.describe()
    assert summary.kind == "members" and not summary.notes[1:], summary.notes
    hans = doc.members.all()[0]
    assert hans.name == "Hans Müller"  # "Name" beside "Vorname" is the family name
    assert hans.phones == {"phone": "030 1234567", "handy": "0170 7654321"}
    assert hans.email == "hans@example.de"
    assert hans.address == "Lindenstraße 5, 10115, Berlin"
    assert doc.households.get(hans.household_id).name == "Müller"
    assert hans.joined == date(2025, 6, 18) and hans.notes == "Hat einen Generator"
    assert hans.languages == {"de", "en"} and hans.skills == {"Erste Hilfe": "certified"}


@pytest.mark.parametrize(
    ("header", "row", "name", "phone"),
    [
        ("Nombre;Apellidos;Teléfono", "Ana;García López;555 0101", "Ana García López", "555 0101"),
        ("Nom;Prénom;Téléphone", "Côté;Renée;555 0102", "Renée Côté", "555 0102"),
        ("Nome;Sobrenome;Telefone", "João;Silva;555 0103", "João Silva", "555 0103"),
        ("Name,First name,Phone", "Ann Lee,Ann,555 0104", "Ann Lee", "555 0104"),
    ],
)
def test_names_and_phones_in_spanish_french_portuguese_and_english(
    header: str, row: str, name: str, phone: str
) -> None:
    doc = new_doc()
    summary = import_csv(doc, f"{header}\n{row}\n".encode(), "x.csv", kind=None, skip_invalid=False)
    assert not summary.failed, summary.describe()
    member = doc.members.all()[0]
    assert (member.name, member.phones) == (name, {"phone": phone})


def test_a_column_of_us_dates_is_settled_by_its_unambiguous_cells() -> None:
    doc = new_doc()
    data = b"Name,Joined\nAnn,6/18/2026\nBo,7/4/2026\nCy,3/5/2026\n"
    summary = import_csv(doc, data, "r.csv", kind=None, skip_invalid=False)
    assert not summary.failed, summary.describe()
    joined = {m.name: m.joined for m in doc.members.all()}
    assert joined == {"Ann": date(2026, 6, 18), "Bo": date(2026, 7, 4), "Cy": date(2026, 3, 5)}
    assert "Column 'Joined': dates read month first ('6/18/2026' on line 2 settles it)." in summary.read_as


def test_what_nothing_settles_is_refused_with_both_readings() -> None:
    doc = new_doc()
    data = b"Item\tQty\tExpires\nRope\t1,250\t03/04/2027\n"
    summary = import_csv(doc, data, "r.tsv", kind=None, skip_invalid=False)
    assert summary.failed == [
        "line 2: quantity (column 'Qty'): '1,250' could be 1250 or 1.25 and nothing in the file settles it; "
        "write it without a thousands separator",
        "line 2: expires: '03/04/2027' could be 3 Apr 2027 (day first) or 4 Mar 2027 (month first) and nothing in "
        "the file settles it; write 2027-04-03 or 2027-03-04",
    ]
    assert doc.inventory.all() == []


def test_a_column_holding_both_orders_reads_its_unambiguous_cells_and_refuses_the_rest() -> None:
    doc = new_doc()
    data = b"Name,Joined\nAnn,18/06/2026\nBo,6/19/2026\nCy,3/5/2026\n"
    summary = import_csv(doc, data, "r.csv", kind=None, skip_invalid=True)
    assert [line.split(":")[0] for line in summary.failed] == ["line 4"]
    assert {m.name for m in doc.members.all()} == {"Ann", "Bo"}


def test_a_file_mostly_utf8_with_one_windows_1252_row_is_refused_with_its_line() -> None:
    doc = new_doc()
    data = "Name,Zone\nJosé,B\nRenée,C\n".encode() + "Zoë,D\n".encode("cp1252") + "Łukasz,E\n".encode()
    with pytest.raises(MagnetError, match=r"r.csv mixes text encodings: line 4 is not UTF-8, unlike 3 other lines"):
        import_csv(doc, data, "r.csv", kind=None, skip_invalid=False)
    assert doc.members.all() == []
    whole = "Name,Zone\nJosé,B\nZoë,D\n".encode("cp1252")  # one encoding throughout: read as it is
    import_csv(doc, whole, "r.csv", kind=None, skip_invalid=False)
    assert {m.name for m in doc.members.all()} == {"José", "Zoë"}


def test_two_digit_years_and_grouped_digits_read_as_spreadsheets_write_them() -> None:
    from magnet.formats.locales import full_year, number_readings

    assert (full_year("29"), full_year("30"), full_year("2026")) == (2029, 1930, 2026)
    assert number_readings("1 250,5") == {"decimal point": None, "decimal comma": 1250.5}
    assert number_readings("1'250.5") == {"decimal point": 1250.5, "decimal comma": None}
    doc = new_doc()
    summary = import_csv(doc, b"Name;Joined\nAnn;18.06.26\n", "r.csv", kind=None, skip_invalid=False)
    assert not summary.failed and doc.members.all()[0].joined == date(2026, 6, 18)


def test_a_lone_work_email_is_the_email_and_telefon_privat_a_labelled_phone() -> None:
    doc = new_doc()
    data = b"Name,Work email,Telefon privat,Email 2\nAnn,ann@work.example,555 0101,ann@home.example\n"
    summary = import_csv(doc, data, "r.csv", kind="members", skip_invalid=False)
    assert not summary.failed, summary.describe()
    ann = doc.members.all()[0]
    assert ann.email == "ann@work.example" and ann.other_emails == {"email 2": "ann@home.example"}
    assert ann.phones == {"privat": "555 0101"}


def test_a_household_with_only_a_name_is_filled_by_a_households_row_of_that_name() -> None:
    doc = new_doc()
    import_csv(doc, b"Name,Household,Zone\nAnn Lee,Lee family,B\n", "r.csv", kind=None, skip_invalid=False)
    bare = doc.households.all()[0]
    summary = import_csv(
        doc,
        b"Household,Address,People,Pets\nLee family,12 Maple St,4,cat\n",
        "h.csv",
        kind="households",
        skip_invalid=False,
    )
    assert summary.imported == 0 and summary.filled == 1, summary.describe()
    (house,) = doc.households.all()
    assert (house.id, house.address, house.people, house.pets, house.zone) == (bare.id, "12 Maple St", 4, "cat", "B")
