"""Events as an .ics file that the icalendar package reads back as calendars do."""

from __future__ import annotations

import os
from datetime import datetime

import pytest
from icalendar import Calendar

from magnet.collection import put_scalar
from magnet.document import GroupDocument
from magnet.errors import ValidationError
from magnet.formats.export import export_group
from magnet.records import Event

DEVICE = "ef" * 16


def group_with_events() -> tuple[GroupDocument, dict[str, str]]:
    doc = GroupDocument.create("Maple Street MAG", device_id=DEVICE, group_id=os.urandom(16).hex())
    ids = {}
    ids["drill"] = doc.events.add(
        name="Radio drill, part 1; bring radios",
        kind="drill",
        starts="2026-06-06 09:30",
        ends="2026-06-06 11:00",
        place="Fire station, bay 2",
        agenda="1. Check-in\n2. Net practice; relay\\test",
    ).id
    ids["cancelled"] = doc.events.add(name="Potluck", kind="social", starts="2026-06-20 18:00", cancelled=True).id
    ids["online"] = doc.events.add(
        name="Planning call", starts="2026-07-01 19:00", virtual_link="https://meet.example/abc"
    ).id
    archived = doc.events.add(name="Old", starts="2025-01-01 10:00")
    doc.events.archive(archived.id)
    return doc, ids


def parse(data: bytes) -> dict[str, object]:
    calendar = Calendar.from_ical(data)
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


def test_icalendar_reads_every_event_with_its_details() -> None:
    doc, _ = group_with_events()
    data = export_group(doc, "ics")
    assert isinstance(data, bytes)
    calendar = Calendar.from_ical(data)
    assert str(calendar["VERSION"]) == "2.0" and "magnet" in str(calendar["PRODID"])
    events = {str(e["SUMMARY"]): e for e in calendar.walk("VEVENT")}
    assert set(events) == {"Radio drill, part 1; bring radios", "Potluck", "Planning call"}  # archived left out
    drill = events["Radio drill, part 1; bring radios"]
    assert drill.decoded("DTSTART") == datetime(2026, 6, 6, 9, 30)  # floating: no time zone
    assert drill.decoded("DTSTART").tzinfo is None
    assert drill.decoded("DTEND") == datetime(2026, 6, 6, 11, 0)
    assert str(drill["LOCATION"]) == "Fire station, bay 2"
    assert str(drill["DESCRIPTION"]) == "1. Check-in\n2. Net practice; relay\\test"
    assert str(drill["STATUS"]) == "CONFIRMED"
    assert drill.decoded("DTSTAMP").tzinfo is not None  # DTSTAMP is UTC, as the RFC requires
    assert str(events["Potluck"]["STATUS"]) == "CANCELLED"
    potluck = events["Potluck"]
    assert "DTEND" not in potluck  # no end given: none invented (the RFC reads it as ending at its start)
    online = events["Planning call"]
    assert str(online["URL"]) == "https://meet.example/abc" and str(online["LOCATION"]) == "https://meet.example/abc"


def test_an_end_before_the_start_is_left_out_and_said_never_replaced_by_an_hour() -> None:
    doc, ids = group_with_events()
    with pytest.raises(ValidationError, match="ends: 2026-06-06 09:00 is not after the start"):
        doc.events.update(ids["drill"], ends="2026-06-06 09:00")
    # An old peer, from before magnet checked ends, wrote one anyway.
    with doc.change("events", ids["drill"]) as tx:
        record = tx.get(doc.collection_obj("events"), ids["drill"])
        assert record is not None
        put_scalar(tx, record[1], "ends", Event.spec("ends"), datetime(2026, 6, 6, 9, 0))
    drill = parse(export_group(doc, "ics"))  # type: ignore[arg-type]
    event = next(e for uid, e in drill.items() if uid.startswith(ids["drill"]))
    assert "DTEND" not in event  # type: ignore[operator]
    assert "The end recorded, 2026-06-06 09:00, is not after the start." in str(event["DESCRIPTION"])  # type: ignore[index]


def test_uids_are_stable_per_event_across_exports() -> None:
    doc, ids = group_with_events()
    first = parse(export_group(doc, "ics"))  # type: ignore[arg-type]
    doc.events.update(ids["drill"], place="Library")
    again = parse(export_group(doc, "ics"))  # type: ignore[arg-type]
    assert set(first) == set(again)
    assert all(uid.startswith(tuple(ids.values())) for uid in first)
    drill_uid = next(uid for uid in again if uid.startswith(ids["drill"]))
    assert str(again[drill_uid]["LOCATION"]) == "Library"  # type: ignore[index]


def test_lines_are_folded_and_crlf_terminated() -> None:
    doc, _ = group_with_events()
    doc.events.add(name="Ü" * 100, starts="2026-08-01 10:00", agenda="long " * 100)
    text = export_group(doc, "ics").decode("utf-8")  # type: ignore[union-attr]
    lines = text.split("\r\n")
    assert all(len(line.encode("utf-8")) <= 75 for line in lines)
    assert lines[-1] == "" and lines[-2] == "END:VCALENDAR"
    assert "Ü" * 100 in str(Calendar.from_ical(text).walk("VEVENT")[-1]["SUMMARY"])
