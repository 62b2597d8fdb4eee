"""Contacts as people already have them: Google (both layouts), Outlook and phone vCards, every field checked."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from formats.helpers import open_only, run_cli
from magnet.home import Home

pytestmark = pytest.mark.usefixtures("cli_group")

# Google Contacts' "Google CSV" export since 2023, as its header row reads.
GOOGLE = [
    "First Name", "Middle Name", "Last Name", "Phonetic First Name", "Phonetic Middle Name", "Phonetic Last Name",
    "Name Prefix", "Name Suffix", "Nickname", "File As", "Organization Name", "Organization Title",
    "Organization Department", "Birthday", "Notes", "Photo", "Labels", "E-mail 1 - Label", "E-mail 1 - Value",
    "E-mail 2 - Label", "E-mail 2 - Value", "Phone 1 - Label", "Phone 1 - Value", "Phone 2 - Label",
    "Phone 2 - Value", "Address 1 - Label", "Address 1 - Formatted", "Address 1 - Street", "Address 1 - City",
    "Address 1 - PO Box", "Address 1 - Region", "Address 1 - Postal Code", "Address 1 - Country",
    "Address 1 - Extended Address", "Website 1 - Label", "Website 1 - Value", "Custom Field 1 - Label",
    "Custom Field 1 - Value",
]  # fmt: skip
# The older Google CSV layout ("Given Name ... E-mail 1 - Type").
GOOGLE_OLD = [
    "Name", "Given Name", "Additional Name", "Family Name", "Yomi Name", "Given Name Yomi", "Additional Name Yomi",
    "Family Name Yomi", "Name Prefix", "Name Suffix", "Initials", "Nickname", "Short Name", "Maiden Name",
    "Birthday", "Gender", "Location", "Billing Information", "Directory Server", "Mileage", "Occupation", "Hobby",
    "Sensitivity", "Priority", "Subject", "Notes", "Language", "Photo", "Group Membership", "E-mail 1 - Type",
    "E-mail 1 - Value", "E-mail 2 - Type", "E-mail 2 - Value", "Phone 1 - Type", "Phone 1 - Value",
    "Phone 2 - Type", "Phone 2 - Value", "Address 1 - Type", "Address 1 - Formatted", "Address 1 - Street",
    "Address 1 - City", "Address 1 - PO Box", "Address 1 - Region", "Address 1 - Postal Code",
    "Address 1 - Country", "Address 1 - Extended Address", "Organization 1 - Type", "Organization 1 - Name",
    "Organization 1 - Yomi Name", "Organization 1 - Title", "Organization 1 - Department",
    "Organization 1 - Symbol", "Organization 1 - Location", "Organization 1 - Job Description",
]  # fmt: skip
# Outlook's "Comma Separated Values" contacts export.
OUTLOOK = [
    "Title", "First Name", "Middle Name", "Last Name", "Suffix", "Company", "Department", "Job Title",
    "Business Street", "Business Street 2", "Business Street 3", "Business City", "Business State",
    "Business Postal Code", "Business Country/Region", "Home Street", "Home Street 2", "Home Street 3", "Home City",
    "Home State", "Home Postal Code", "Home Country/Region", "Other Street", "Other Street 2", "Other Street 3",
    "Other City", "Other State", "Other Postal Code", "Other Country/Region", "Assistant's Phone", "Business Fax",
    "Business Phone", "Business Phone 2", "Callback", "Car Phone", "Company Main Phone", "Home Fax", "Home Phone",
    "Home Phone 2", "ISDN", "Mobile Phone", "Other Fax", "Other Phone", "Pager", "Primary Phone", "Radio Phone",
    "TTY/TDD Phone", "Telex", "Account", "Anniversary", "Assistant's Name", "Billing Information", "Birthday",
    "Business Address PO Box", "Categories", "Children", "Directory Server", "E-mail Address", "E-mail Type",
    "E-mail Display Name", "E-mail 2 Address", "E-mail 2 Type", "E-mail 2 Display Name", "E-mail 3 Address",
    "E-mail 3 Type", "E-mail 3 Display Name", "Gender", "Government ID Number", "Hobby", "Home Address PO Box",
    "Initials", "Internet Free Busy", "Keywords", "Language", "Location", "Manager's Name", "Mileage", "Notes",
    "Office Location", "Organizational ID Number", "Other Address PO Box", "Priority", "Private", "Profession",
    "Referred By", "Sensitivity", "Spouse", "User 1", "User 2", "User 3", "User 4", "Web Page",
]  # fmt: skip


def sheet(headers: list[str], rows: list[dict[str, str]], *, quote_all: bool = False, delimiter: str = ",") -> str:
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL, delimiter=delimiter)
    writer.writerow(headers)
    for row in rows:
        assert set(row) <= set(headers), set(row) - set(headers)
        writer.writerow([row.get(h, "") for h in headers])
    return out.getvalue()


def members(home: Home) -> dict[str, object]:
    group = open_only(home)
    try:
        return {m.name: m for m in group.doc.members.all()}
    finally:
        group.close()


def test_google_contacts_land_in_every_field_and_junk_is_dropped_in_one_line(tmp_path: Path, home: Home) -> None:
    path = tmp_path / "contacts.csv"
    path.write_text(
        sheet(
            GOOGLE,
            [
                {
                    "First Name": "Ann",
                    "Middle Name": "Marie",
                    "Last Name": "Lee",
                    "Nickname": "Annie",
                    "Organization Name": "County Hospital",
                    "Organization Title": "Nurse",
                    "Birthday": "1980-04-02",
                    "Notes": "Has a generator",
                    "Labels": "* myContacts ::: Neighbours",
                    "E-mail 1 - Label": "* Home",
                    "E-mail 1 - Value": "ann@example.org",
                    "E-mail 2 - Label": "Work",
                    "E-mail 2 - Value": "ann.lee@hospital.example",
                    "Phone 1 - Label": "Mobile",
                    "Phone 1 - Value": "+1 555-0101 ::: +1 555-0111",
                    "Phone 2 - Label": "Home",
                    "Phone 2 - Value": "555-0199",
                    "Address 1 - Label": "Home",
                    "Address 1 - Formatted": "12 Maple St\nSpringfield, IL 62701\nUS",
                    "Address 1 - Street": "12 Maple St",
                    "Address 1 - City": "Springfield",
                    "Website 1 - Label": "Profile",
                    "Website 1 - Value": "https://example.org/ann",
                    "Custom Field 1 - Label": "Gate code",
                    "Custom Field 1 - Value": "1234",
                },
                {"First Name": "Bo", "Last Name": "Diaz", "Phone 1 - Label": "", "Phone 1 - Value": "555-0102"},
            ],
        )
    )
    result = run_cli("import", str(path))
    assert result.returncode == 0, result.stderr
    assert "Imported 2 members" in result.stdout and "Read as a Google Contacts file" in result.stdout
    dropped = [line for line in result.stdout.splitlines() if line.startswith("Dropped")]
    assert dropped == [
        "Dropped 4 columns that mean nothing to the group: Website 1 - Label, Website 1 - Value, Birthday, Labels."
    ]
    found = members(home)
    ann, bo = found["Ann Marie Lee"], found["Bo Diaz"]
    assert ann.phones == {"mobile": "+1 555-0101", "mobile 2": "+1 555-0111", "home": "555-0199"}  # type: ignore[attr-defined]
    assert ann.email == "ann@example.org"  # type: ignore[attr-defined]
    assert ann.other_emails == {"work": "ann.lee@hospital.example"}  # type: ignore[attr-defined]
    assert ann.address == "12 Maple St, Springfield, IL 62701, US"  # type: ignore[attr-defined]
    assert ann.organisation == "County Hospital, Nurse"  # type: ignore[attr-defined]
    assert ann.notes == "Has a generator\nGate code: 1234\nNickname: Annie"  # type: ignore[attr-defined]
    assert "Maple" not in ann.notes and "1980" not in ann.notes  # type: ignore[attr-defined]
    assert bo.phones == {"phone": "555-0102"}  # type: ignore[attr-defined]


def test_the_older_google_layout_with_types(tmp_path: Path, home: Home) -> None:
    path = tmp_path / "google.csv"
    path.write_text(
        sheet(
            GOOGLE_OLD,
            [
                {
                    "Name": "José Núñez",
                    "Given Name": "José",
                    "Family Name": "Núñez",
                    "Gender": "male",
                    "Sensitivity": "Normal",
                    "Priority": "Normal",
                    "Language": "es",
                    "Group Membership": "* myContacts",
                    "E-mail 1 - Type": "* Other",
                    "E-mail 1 - Value": "jose@example.org",
                    "Phone 1 - Type": "* Mobile",
                    "Phone 1 - Value": "555-0103",
                    "Phone 2 - Type": "Work",
                    "Phone 2 - Value": "555-0300",
                    "Address 1 - Type": "Home",
                    "Address 1 - Street": "3 Oak Ave",
                    "Address 1 - City": "Springfield",
                    "Address 1 - Postal Code": "62702",
                    "Organization 1 - Name": "Hardware on 5th",
                    "Organization 1 - Title": "Owner",
                }
            ],
        ),
        encoding="utf-8",
    )
    result = run_cli("import", str(path))
    assert result.returncode == 0, result.stderr
    assert "Dropped 4 columns that mean nothing to the group: Gender, Sensitivity, Priority, Group Membership." in (
        result.stdout
    )
    jose = members(home)["José Núñez"]
    assert jose.phones == {"mobile": "555-0103", "work": "555-0300"}  # type: ignore[attr-defined]
    assert jose.email == "jose@example.org" and jose.other_emails == {}  # type: ignore[attr-defined]
    assert jose.address == "3 Oak Ave, Springfield, 62702"  # type: ignore[attr-defined]
    assert jose.organisation == "Hardware on 5th, Owner" and jose.languages == {"es"}  # type: ignore[attr-defined]
    assert jose.notes == ""  # type: ignore[attr-defined]


def test_outlook_windows_1252_all_cells_quoted(tmp_path: Path, home: Home) -> None:
    placeholders = {
        "Anniversary": "0/0/00",
        "Birthday": "0/0/00",
        "Gender": "Unspecified",
        "Priority": "Normal",
        "Sensitivity": "Normal",
        "Private": "False",
    }
    path = tmp_path / "outlook.csv"
    text = sheet(
        OUTLOOK,
        [
            {
                **placeholders,
                "Title": "Mme",
                "First Name": "Renée",
                "Last Name": "Côté",
                "Company": "École Jean-Jaurès",
                "Job Title": "Directrice",
                "Home Street": "7 rue des Lilas",
                "Home City": "Springfield",
                "Home Postal Code": "62703",
                "Business Street": "1 Main St",
                "Mobile Phone": "555-0104",
                "Home Phone": "555-0198",
                "Business Phone": "555-0400",
                "Business Fax": "555-0401",
                "E-mail Address": "renee@example.org",
                "E-mail Type": "SMTP",
                "E-mail Display Name": "Renée Côté (renee@example.org)",
                "E-mail 2 Address": "rcote@ecole.example",
                "E-mail 2 Type": "SMTP",
                "Notes": "Speaks French",
                "User 1": "Key holder",
            },
            {**placeholders, "First Name": "Bo", "Last Name": "Diaz"},
        ],
        quote_all=True,
    )
    path.write_bytes(text.encode("cp1252"))
    result = run_cli("import", str(path))
    assert result.returncode == 0, result.stderr
    assert "Read as a Outlook contacts file" in result.stdout or "Outlook contacts" in result.stdout
    assert "Windows-1252" in result.stdout
    dropped = next(line for line in result.stdout.splitlines() if line.startswith("Dropped"))
    for column in ("Anniversary", "Birthday", "Gender", "Priority", "Sensitivity", "Private", "Business Fax"):
        assert column in dropped
    renee, bo = members(home)["Renée Côté"], members(home)["Bo Diaz"]
    assert renee.phones == {"work": "555-0400", "home": "555-0198", "mobile": "555-0104"}  # type: ignore[attr-defined]
    assert renee.email == "renee@example.org"  # type: ignore[attr-defined]
    assert renee.other_emails == {"email 2": "rcote@ecole.example"}  # type: ignore[attr-defined]
    assert renee.address == "1 Main St (work); 7 rue des Lilas, Springfield, 62703 (home)"  # type: ignore[attr-defined]
    assert renee.organisation == "École Jean-Jaurès, Directrice"  # type: ignore[attr-defined]
    assert renee.notes == "Speaks French\nUser 1: Key holder"  # type: ignore[attr-defined]
    assert bo.notes == "" and bo.phones == {}  # type: ignore[attr-defined]


VCARD_30 = (
    "BEGIN:VCARD\r\n"
    "VERSION:3.0\r\n"
    "PRODID:-//Apple Inc.//iPhone OS 17.0//EN\r\n"
    "N:Lee;Ann;Marie;;\r\n"
    "FN:Ann Lee\r\n"
    "ORG:County Hospital;Emergency\r\n"
    "TITLE:Nurse\r\n"
    "EMAIL;type=INTERNET;type=HOME;type=pref:ann@example.org\r\n"
    "EMAIL;type=INTERNET;type=WORK:ann.lee@hospital.example\r\n"
    "TEL;type=CELL;type=VOICE;type=pref:+1 555-0101\r\n"
    "TEL;type=HOME;type=VOICE:555-0199\r\n"
    "item1.TEL:555-0150\r\n"
    "item1.X-ABLabel:_$!<Other>!$_ Gate\r\n"
    "item2.ADR;type=HOME;type=pref:;;12 Maple St;Springfield;IL;62701;USA\r\n"
    "item2.X-ABADR:us\r\n"
    "NOTE:Has a generator and a long note that a phone folds over two lines becau\r\n"
    " se it is longer than seventy-five octets\r\n"
    "BDAY:1980-04-02\r\n"
    "END:VCARD\r\n"
)
VCARD_21 = (
    "BEGIN:VCARD\r\n"
    "VERSION:2.1\r\n"
    "N:Diaz;Bo;;;\r\n"
    "TEL;CELL;PREF:555-0102\r\n"
    "TEL;WORK:555-0300\r\n"
    "EMAIL;INTERNET:bo@example.org\r\n"
    "NOTE;ENCODING=QUOTED-PRINTABLE;CHARSET=UTF-8:Likes =C3=A9clairs\r\n"
    "END:VCARD\r\n"
)
VCARD_40 = (
    "BEGIN:VCARD\r\n"
    "VERSION:4.0\r\n"
    "FN:Cy Ng\r\n"
    'TEL;VALUE=uri;TYPE="cell,voice":tel:+1-555-0103\r\n'
    "EMAIL;TYPE=work:cy@example.org\r\n"
    "ADR;TYPE=home:;;1 Oak Ave;Springfield;;;\r\n"
    "GENDER:M\r\n"
    "END:VCARD\r\n"
)


def test_phone_vcards_30_21_and_40(tmp_path: Path, home: Home) -> None:
    path = tmp_path / "contacts.vcf"
    path.write_text(VCARD_30 + VCARD_21 + VCARD_40, newline="")
    result = run_cli("import", str(path))
    assert result.returncode == 0, result.stderr
    assert "Imported 3 members" in result.stdout
    assert "Dropped 3 columns that mean nothing to the group: BDAY, GENDER, X-ABADR." in result.stdout
    found = members(home)
    ann, bo, cy = found["Ann Lee"], found["Bo Diaz"], found["Cy Ng"]
    assert ann.phones == {"mobile": "+1 555-0101", "home": "555-0199", "other gate": "555-0150"}  # type: ignore[attr-defined]
    assert ann.email == "ann@example.org"  # type: ignore[attr-defined]
    assert ann.other_emails == {"work": "ann.lee@hospital.example"}  # type: ignore[attr-defined]
    assert ann.address == "12 Maple St, Springfield, IL, 62701, USA"  # type: ignore[attr-defined]
    assert ann.organisation == "County Hospital, Emergency, Nurse"  # type: ignore[attr-defined]
    assert ann.notes.startswith("Has a generator and a long note that a phone folds over two lines because it is")  # type: ignore[attr-defined]
    assert "Middle name: Marie" in ann.notes  # type: ignore[attr-defined]
    assert bo.phones == {"mobile": "555-0102", "work": "555-0300"} and bo.email == "bo@example.org"  # type: ignore[attr-defined]
    assert bo.notes == "Likes éclairs"  # type: ignore[attr-defined]
    assert cy.phones == {"mobile": "+1-555-0103"} and cy.email == "cy@example.org"  # type: ignore[attr-defined]
    assert cy.address == "1 Oak Ave, Springfield"  # type: ignore[attr-defined]


def test_a_broken_card_is_a_bad_row_with_its_line(tmp_path: Path, home: Home) -> None:
    path = tmp_path / "contacts.vcf"
    path.write_text(
        VCARD_21 + "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:X\r\nTHIS IS NOT A PROPERTY\r\nEND:VCARD\r\n", newline=""
    )
    refused = run_cli("import", str(path))
    assert refused.returncode == 1
    assert "line 9: this card cannot be read" in refused.stderr
    assert members(home) == {}
    partial = run_cli("import", str(path), "--skip-invalid")
    assert partial.returncode == 0 and "Imported 1 member " in partial.stdout
    assert "line 9" in partial.stderr and "line 9" not in partial.stdout


def test_magnets_own_vcard_export_imports_back_as_the_same_people(tmp_path: Path, home: Home) -> None:
    group = open_only(home)
    ann = group.doc.members.add(
        name="Ann Lee",
        phones={"mobile": "555-0101"},
        email="ann@example.org",
        other_emails={"work": "ann@work.example"},
        consent_share=True,
    )
    group.close()
    path = tmp_path / "out.vcf"
    assert run_cli("export", "--format", "vcard", "-o", str(path)).returncode == 0
    text = path.read_text()
    assert "EMAIL;TYPE=INTERNET,PREF:ann@example.org" in text and "EMAIL;TYPE=INTERNET,WORK:ann@work.example" in text
    result = run_cli("import", str(path))
    assert result.returncode == 0, result.stderr
    assert "1 rows are already in the group as they are" in result.stdout
    assert list(members(home)) == ["Ann Lee"] and members(home)["Ann Lee"].id == ann.id  # type: ignore[attr-defined]
