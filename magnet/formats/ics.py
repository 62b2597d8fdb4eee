"""The group's events as an iCalendar file (.ics) for phone and desktop calendars.

Times are floating local time (no time zone): magnet stores an event's wall-clock time as the
person typed it, the group's document records no time zone, and everyone in a neighborhood group
lives in the same one, so "18:30" shows as 18:30 in every member's calendar. An event without an
end has no DTEND (the RFC reads that as ending when it starts): the file never invents a length
nobody gave. An end before the start (kept from before magnet checked it, or written by an old
peer) is left out the same way and said in the description. The UID is the event's id within its
group, so importing a newer file updates events in place instead of duplicating them.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from magnet.document import GroupDocument
from magnet.formats.contentlines import escape_text, render
from magnet.records import Event
from magnet.values import choice_label

PRODID = "-//magnet//Mutual Assistance Group events//EN"


def _local(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%S")


def _utc(moment: datetime) -> str:
    """A stored wall-clock time (this device's zone) as UTC, for DTSTAMP."""
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def export_ics(doc: GroupDocument, *, now: datetime | None = None) -> bytes:
    """Every event not archived (past ones too, so calendars keep the history), cancelled ones marked."""
    profile = doc.profile
    stamp = now or datetime.now()
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape_text(profile.name)}",
    ]
    events = sorted(
        (e for e in doc.events.all() if e.starts is not None), key=lambda e: (e.starts or datetime.min, e.id)
    )
    for event in events:
        lines.extend(event_lines(event, group_id=doc.group_id, stamp=stamp))
    lines.append("END:VCALENDAR")
    return render(lines)


def event_lines(event: Event, *, group_id: str, stamp: datetime) -> list[str]:
    """One VEVENT; `stamp` is when the file was made (DTSTAMP), the event's own edit is LAST-MODIFIED."""
    assert event.starts is not None
    ends = event.ends if event.ends is not None and event.ends > event.starts else None
    lines = [
        "BEGIN:VEVENT",
        f"UID:{event.id}@{group_id}.magnet",
        f"DTSTAMP:{_utc(stamp)}",
        f"LAST-MODIFIED:{_utc(event.updated_at or stamp)}",
        f"DTSTART:{_local(event.starts)}",
        *([f"DTEND:{_local(ends)}"] if ends is not None else []),
        f"SUMMARY:{escape_text(event.name)}",
        f"CATEGORIES:{escape_text(choice_label(event.kind))}",
        f"STATUS:{'CANCELLED' if event.cancelled else 'CONFIRMED'}",
    ]
    location = event.place or event.virtual_link
    if location:
        lines.append(f"LOCATION:{escape_text(location)}")
    link = event.virtual_link.strip()
    if re.fullmatch(r"https?://\S+", link):
        lines.append(f"URL:{link}")
    description = event.agenda
    if event.virtual_link and event.place:
        description = f"{description}\n\nOnline: {event.virtual_link}".strip()
    if event.ends is not None and ends is None:
        description = f"{description}\n\nThe end recorded, {event.ends:%Y-%m-%d %H:%M}, is not after the start.".strip()
    if description:
        lines.append(f"DESCRIPTION:{escape_text(description)}")
    lines.append("END:VEVENT")
    return lines
