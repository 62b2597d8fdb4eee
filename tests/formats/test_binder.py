"""The printable binder: every section, the version stamp, escaping, and privacy by default."""

from __future__ import annotations

import os
import re
from datetime import date, datetime, timedelta
from html.parser import HTMLParser

import pytest

from magnet.document import GroupDocument
from magnet.formats.binder import build_binder
from magnet.formats.binder_html import render_html
from magnet.formats.binder_md import escape_md
from magnet.formats.export import export_group

DEVICE = "12" * 16
NOW = datetime(2026, 5, 1, 9, 0)
SECTIONS = {
    "roster": "Roster and households",
    "contacts": "Contacts",
    "skills": "Skills matrix",
    "pace": "PACE communication plan",
    "calltree": "Call tree",
    "rally": "Rally points",
    "inventory": "Inventory by location",
    "partners": "Partners",
    "events": "Upcoming events",
}
EVIL = '<script>alert("x")</script> | *Bob* [link](http://evil.example) & Co'


def group() -> GroupDocument:
    doc = GroupDocument.create("Maple Street MAG", device_id=DEVICE, group_id=os.urandom(16).hex())
    doc.update_profile(area="Maple St to Aspen Dr", meeting_place="Community hall")
    lee = doc.households.add(name="Lee", zone="B", address="12 Maple St", special_needs="oxygen concentrator")
    doc.members.add(
        name="Ann Lee",
        household_id=lee.id,
        zone="B",
        level="core_team",
        phones={"mobile": "555-0101"},
        email="ann@example.org",
        consent_share=True,
        skills="first aid: certified",
        medical_notes="diabetic",
        emergency_contact="Bo Lee 555-0123",
        address="12 Maple St",
    )
    bob = doc.members.add(name=EVIL, zone="C", phones={"mobile": "555-0666"}, consent_share=False)
    cy = doc.members.add(name="Cy Diaz", zone="C", consent_share=True, phones={"home": "555-0103"})
    doc.certifications.add(name="CPR card", member_id=cy.id, skill="cpr", expires=date(2026, 4, 1))  # lapsed
    doc.certifications.add(name="First aid", member_id=cy.id, skill="first aid", expires=date(2026, 5, 20))
    doc.channels.add(name="GMRS net", tier="contingency", radio_channel="20", frequency="462.675")
    doc.channels.add(name="Group chat", tier="primary", trigger="Cell data down 30 min")
    doc.put_rally_point(name="Maple St park", place="North lawn", order=1)
    doc.inventory.add(name="Water", quantity=20, unit="gallon", location="Garage at 12 Maple", holder_id=bob.id)
    doc.partners.add(name="Hardware on 5th", kind="business", phone="555-0300", offers="tarps")
    doc.events.add(name="Radio drill", kind="drill", starts=NOW + timedelta(days=3), place="Fire station")
    doc.events.add(name="Long ago", starts=NOW - timedelta(days=30))
    return doc


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs.extend(attrs)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_html_has_every_section_on_its_own_printed_page_with_the_stamp() -> None:
    doc = group()
    html = render_html(build_binder(doc, now=NOW))
    for key, title in SECTIONS.items():
        assert f'<section id="{key}">' in html and title in html
    assert "break-before: page" in html and "@media print" in html
    stamp = re.search(r"version ([0-9a-f]{8}) · ([\d,]+) changes", html)
    assert stamp is not None and int(stamp.group(2).replace(",", "")) == doc.change_count()
    assert html.count(f"version {stamp.group(1)}") == len(SECTIONS) + 1  # the cover and every section
    assert "printed 2026-05-01 09:00" in html


def test_the_version_changes_when_the_document_does() -> None:
    doc = group()
    before = build_binder(doc, now=NOW).stamp
    doc.members.add(name="Dee")
    after = build_binder(doc, now=NOW).stamp
    assert before.version != after.version and after.changes == before.changes + 1


def test_html_is_self_contained_and_escapes_every_name() -> None:
    html = render_html(build_binder(group(), now=NOW))
    parser = _Collect()
    parser.feed(html)
    assert "script" not in parser.tags and "img" not in parser.tags and "link" not in parser.tags
    assert not [value for name, value in parser.attrs if name in ("src", "href") and not (value or "").startswith("#")]
    assert "url(" not in html and "@import" not in html and "http://evil" not in "".join(parser.tags)
    assert EVIL in "".join(parser.text)  # shown as text, exactly as typed


def test_sensitive_fields_only_when_asked_and_contacts_only_with_consent() -> None:
    doc = group()
    plain = render_html(build_binder(doc, now=NOW))
    for secret in ("diabetic", "Bo Lee 555-0123", "12 Maple St", "oxygen concentrator", "555-0666"):
        assert secret not in plain
    assert "555-0101" in plain and "555-0103" in plain  # consented
    assert "Sensitive fields" in plain and "left out" in plain
    full = render_html(build_binder(doc, sensitive=True, now=NOW))
    for secret in ("diabetic", "Bo Lee 555-0123", "12 Maple St", "oxygen concentrator"):
        assert secret in full
    assert "555-0666" not in full  # sensitive mode never overrides a member's consent
    assert full.count("CONFIDENTIAL") == len(SECTIONS) + 1  # on every page, not just the cover
    assert "CONFIDENTIAL" not in plain


def test_skills_gaps_call_tree_rally_points_inventory_and_events_are_filled_in() -> None:
    html = render_html(build_binder(group(), now=NOW))
    skills = html[html.index('id="skills"') : html.index('id="pace"')]
    assert "GAP" in skills and "AT RISK" in skills and "CPR card" in skills  # lapsed certificate listed
    pace = html[html.index('id="pace"') : html.index('id="calltree"')]
    assert pace.index("Group chat") < pace.index("GMRS net") and "462.675" in pace
    tree = html[html.index('id="calltree"') : html.index('id="rally"')]
    assert "Ann Lee" in tree and "Cy Diaz" in tree and "555-0666" not in tree
    assert "North lawn" in html and "Garage at 12 Maple" in html and "Hardware on 5th" in html
    events = html[html.index('id="events"') :]
    assert "Radio drill" in events and "Long ago" not in events


def test_markdown_has_every_section_and_escapes_markup() -> None:
    doc = group()
    md = export_group(doc, "md")
    assert isinstance(md, str)
    for title in SECTIONS.values():
        assert f"## {title}" in md
    assert "<script>" not in md and "[link](" not in md and "*Bob*" not in md
    assert "\\<script\\>" in md and "\\*Bob\\*" in md
    assert re.search(r"version [0-9a-f]{8} · \d+ changes", md)
    roster_row = next(line for line in md.splitlines() if line.startswith("| \\<script"))
    assert len(re.findall(r"(?<!\\)\|", roster_row)) == 8  # the name's own pipe cannot add a column
    assert "diabetic" not in md


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [("a|b", "a\\|b"), ("# not a heading", "\\# not a heading"), ("1. item", "1\\. item"), ("<b>", "\\<b\\>")],
)
def test_markdown_escaping(raw: str, escaped: str) -> None:
    assert escape_md(raw) == escaped


def test_an_empty_group_still_prints_every_section() -> None:
    doc = GroupDocument.create("Empty", device_id=DEVICE, group_id=os.urandom(16).hex())
    html = export_group(doc, "html")
    assert isinstance(html, str)
    for key in SECTIONS:
        assert f'<section id="{key}">' in html
    assert "None recorded." in html
