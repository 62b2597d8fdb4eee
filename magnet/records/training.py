"""Courses, who completed them, and certifications that expire."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from magnet.fields import choice, date_field, integer, ref, text
from magnet.kinds import Kind
from magnet.record import Record


class CourseTopic(StrEnum):
    FIRST_AID = "first_aid"
    DISASTER_RESPONSE = "disaster_response"
    SUSTAINABLE_LIVING = "sustainable_living"
    COMMUNICATIONS = "communications"
    FIRE_SAFETY = "fire_safety"
    SEARCH_AND_RESCUE = "search_and_rescue"
    OTHER = "other"


@dataclass(frozen=True, kw_only=True)
class Course(Record):
    KIND = Kind("courses", noun="course")

    name: str = text("Course", required=True, aliases=("title", "course"))
    topic: str = choice("Topic", CourseTopic, default="other", open_choice=True)
    provider: str = text("Provider", help="Who teaches it: a partner, a member, an agency")
    partner_id: str = ref("Partner", "partners")
    skill: str = text("Skill it gives", help="The skill name a completion adds, e.g. 'first aid'")
    hours: int = integer("Hours", minimum=0)
    valid_months: int = integer("Valid for (months)", minimum=0, help="0 when it never expires")
    description: str = text("Description", multiline=True)


@dataclass(frozen=True, kw_only=True)
class TrainingRecord(Record):
    """A member completed a course on a date."""

    KIND = Kind("trainings", noun="completion", words=("training", "training records"), title="course_id")

    member_id: str = ref("Member", "members", required=True)
    course_id: str = ref("Course", "courses", required=True)
    completed: date | None = date_field("Completed", required=True)
    event_id: str = ref("Session", "events")
    notes: str = text("Notes", multiline=True)


@dataclass(frozen=True, kw_only=True)
class Certification(Record):
    """A certificate a member holds; once expired it no longer counts as the skill."""

    KIND = Kind("certifications", noun="certification")

    name: str = text("Certification", required=True, aliases=("certificate", "cert"))
    member_id: str = ref("Member", "members", required=True)
    skill: str = text("Skill", help="The skill it proves, e.g. 'first aid'")
    issuer: str = text("Issued by")
    issued: date | None = date_field("Issued")
    expires: date | None = date_field("Expires")
    course_id: str = ref("Course", "courses")
