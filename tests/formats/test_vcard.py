"""The roster as vCards a phone (here: vobject) reads back, each member's consent respected."""

from __future__ import annotations

import os

import vobject

from magnet.document import GroupDocument
from magnet.formats.export import export_group
from magnet.formats.vcard import NOT_SHARED

DEVICE = "cd" * 16


def roster() -> GroupDocument:
    doc = GroupDocument.create("Maple; Street, MAG", device_id=DEVICE, group_id=os.urandom(16).hex())
    doc.members.add(
        name="Ann Marie Lee",
        zone="B",
        phones={"mobile": "555-0101", "home": "555-0199", "radio shack": "555-0177"},
        email="ann@example.org",
        callsign="KD2ABC",
        consent_share=True,
        address="12 Maple St, Apt 3",
        medical_notes="insulin",
        emergency_contact="Bo Lee 555-0123",
        notes="x" * 300,
    )
    doc.members.add(name="José Núñez-Ávila, Jr.", phones={"mobile": "555-0102"}, email="jose@example.org")
    doc.members.add(name="Cher", consent_share=True, phones={"cell": "555-0103"})
    doc.members.add(name="Gone Away", consent_share=True, status="left", phones={"mobile": "555-0104"})
    archived = doc.members.add(name="Old Member", consent_share=True, phones={"mobile": "555-0105"})
    doc.members.archive(archived.id)
    return doc


def cards(data: bytes) -> dict[str, vobject.base.Component]:
    parsed = list(vobject.readComponents(data.decode("utf-8")))
    return {card.fn.value: card for card in parsed}


def test_a_standard_parser_reads_every_card_and_consent_decides_the_details() -> None:
    data = export_group(roster(), "vcard")
    assert isinstance(data, bytes)
    found = cards(data)
    assert set(found) == {"Ann Marie Lee", "José Núñez-Ávila, Jr.", "Cher"}  # not left, not archived
    ann = found["Ann Marie Lee"]
    assert ann.version.value == "3.0"
    assert (ann.n.value.family, ann.n.value.given) == ("Lee", "Ann Marie")
    tels = {(t.value, tuple(t.params.get("TYPE", []))) for t in ann.contents["tel"]}
    assert tels == {("555-0101", ("CELL",)), ("555-0199", ("HOME",)), ("555-0177", ("VOICE",))}
    assert ann.email.value == "ann@example.org"
    assert ann.org.value == ["Maple; Street, MAG"]
    assert "Radio callsign KD2ABC" in ann.note.value
    assert "adr" not in ann.contents  # an address is sensitive: only with --sensitive
    jose = found["José Núñez-Ávila, Jr."]
    assert "tel" not in jose.contents and "email" not in jose.contents  # did not consent
    assert NOT_SHARED in jose.note.value
    assert found["Cher"].tel.value == "555-0103" and found["Cher"].n.value.given == "Cher"


def test_nothing_private_is_in_the_file_and_long_lines_are_folded() -> None:
    text = export_group(roster(), "vcard").decode("utf-8")  # type: ignore[union-attr]
    for secret in ("555-0102", "jose@example.org", "insulin", "Bo Lee", "555-0104", "555-0105"):
        assert secret not in text
    assert all(len(line.encode("utf-8")) <= 75 for line in text.split("\r\n"))
    assert text.endswith("END:VCARD\r\n")


def test_with_sensitive_the_address_of_consenting_members_is_included() -> None:
    ann = cards(export_group(roster(), "vcard", sensitive=True))["Ann Marie Lee"]  # type: ignore[arg-type]
    assert ann.adr.value.street == "12 Maple St, Apt 3"


def test_uids_are_stable_so_phones_update_instead_of_duplicating() -> None:
    doc = roster()
    first = {c.fn.value: c.uid.value for c in cards(export_group(doc, "vcard")).values()}  # type: ignore[arg-type]
    again = {c.fn.value: c.uid.value for c in cards(export_group(doc, "vcard")).values()}  # type: ignore[arg-type]
    assert first == again and len(set(first.values())) == 3
