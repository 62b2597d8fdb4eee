"""Meetings, trainings, drills and socials, and what people said about them afterwards."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from magnet.fields import choice, flag, integer, mapping, moment, ref, tags, text
from magnet.kinds import Kind, Sheet
from magnet.record import Record


class EventKind(StrEnum):
    MEETING = "meeting"
    TRAINING = "training"
    DRILL = "drill"
    SOCIAL = "social"
    CLEAN_UP = "clean_up"
    OTHER = "other"


class Rsvp(StrEnum):
    YES = "yes"
    NO = "no"
    MAYBE = "maybe"


@dataclass(frozen=True, kw_only=True)
class Event(Record):
    KIND = Kind(
        "events",
        noun="event",
        sheet=Sheet(
            columns=(
                "name",
                "kind",
                "starts",
                "ends",
                "place",
                "virtual_link",
                "organiser_id",
                "guests",
                "cancelled",
                "agenda",
                "minutes",
            ),
            notes="agenda",
            aliases={"starts": ("time", "start date time", "from"), "ends": ("to", "end date time"), "kind": ("kind",)},
            words={
                "de": {
                    "name": ("titel", "veranstaltung"),
                    "starts": ("datum", "beginn", "uhrzeit"),
                    "ends": ("ende",),
                    "place": ("ort",),
                },
                "es": {
                    "name": ("título", "evento"),
                    "starts": ("fecha", "inicio", "hora"),
                    "ends": ("fin",),
                    "place": ("lugar",),
                },
                "fr": {
                    "name": ("titre", "événement"),
                    "starts": ("date", "début", "heure"),
                    "ends": ("fin",),
                    "place": ("lieu",),
                },
                "pt": {
                    "name": ("título", "evento"),
                    "starts": ("data", "início", "hora"),
                    "ends": ("fim",),
                    "place": ("local",),
                },
            },
            refs={"organiser_id": "organiser"},
            order="starts",
            rank=4,
        ),
    )

    name: str = text("Title", required=True, aliases=("title", "event", "event name", "name", "what", "subject"))
    kind: str = choice("Kind", EventKind, default="meeting", aliases=("type", "category", "event type"))
    starts: datetime | None = moment(
        "Starts", required=True, aliases=("start", "date", "when", "start date", "start time", "begins", "starts at")
    )
    ends: datetime | None = moment("Ends", aliases=("end", "end date", "end time", "finish", "until"))
    place: str = text("Place", aliases=("location", "where", "venue", "address"))
    virtual_link: str = text("Virtual link", aliases=("link", "url", "zoom", "meeting link", "online"))
    agenda: str = text("Agenda", aliases=("description", "details", "notes", "about"), multiline=True)
    rsvps: dict[str, str] = mapping("RSVPs", values=Rsvp, value_default="yes", ref_to="members")
    attendance: frozenset[str] = tags("Attended", ref_to="members")
    guests: int = integer("Guests", minimum=0)
    minutes: str = text("Minutes", multiline=True)
    goal_ids: frozenset[str] = tags("Goals", ref_to="goals")
    course_id: str = ref("Course", "courses")
    organiser_id: str = ref("Organiser", "members", aliases=("organizer", "host", "organiser", "lead"))
    cancelled: bool = flag("Cancelled")


@dataclass(frozen=True, kw_only=True)
class Feedback(Record):
    KIND = Kind("feedback", noun="feedback", plural="feedback", title="comment")

    event_id: str = ref("Event", "events")
    member_id: str = ref("From", "members")
    rating: int = integer("Rating (1-5)", minimum=1, maximum=5, default=3)
    comment: str = text("Comment", multiline=True)
    topic: str = text("Topic", help="What it is about when not an event: the group, a goal, training")
    given_at: datetime | None = moment("Given")
    tags: frozenset[str] = tags("Tags")
