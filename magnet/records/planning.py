"""Finding out what the community needs and setting goals to meet it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from magnet.fields import choice, date_field, entries, flag, integer, mapping, moment, number, ref, tags, text
from magnet.kinds import Kind
from magnet.record import Record


class QuestionKind(StrEnum):
    TEXT = "text"
    CHOICE = "choice"
    MULTI = "multi"
    SCALE = "scale"
    YES_NO = "yes_no"


class NeedCategory(StrEnum):
    FOOD_SECURITY = "food_security"
    EMERGENCY_RESPONSE = "emergency_response"
    HEALTH = "health"
    ISOLATION = "isolation"
    SHELTER = "shelter"
    WATER = "water"
    COMMUNICATION = "communication"
    TRANSPORT = "transport"
    CHILDCARE = "childcare"
    OTHER = "other"


class Priority(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class GoalStatus(StrEnum):
    PLANNED = "planned"
    ACTIVE = "active"
    ON_HOLD = "on_hold"
    DONE = "done"
    DROPPED = "dropped"


@dataclass(frozen=True, kw_only=True)
class Survey(Record):
    KIND = Kind("surveys", noun="survey")

    name: str = text("Title", required=True, aliases=("title", "survey"))
    purpose: str = text("Purpose", multiline=True)
    opened: date | None = date_field("Opened")
    closed: bool = flag("Closed")
    questions: dict[str, dict[str, Any]] = entries(
        "Questions",
        text=text("Question", required=True),
        kind=choice("Kind", QuestionKind, default="text"),
        options=text("Options (comma separated)"),
        category=choice("Need it reveals", NeedCategory, default="other", open_choice=True),
        order=integer("Order"),
        signals=text(
            "Answers that show the need",
            help="yes or no; for a scale low or high; for choices the options, comma separated",
        ),
    )


@dataclass(frozen=True, kw_only=True)
class SurveyResponse(Record):
    KIND = Kind("responses", noun="response", title="respondent")

    survey_id: str = ref("Survey", "surveys", required=True)
    member_id: str = ref("Member", "members")
    respondent: str = text("Respondent", aliases=("name",))
    answers: dict[str, str] = mapping("Answers")
    recorded_at: datetime | None = moment("Recorded")
    recorded_by: str = ref("Recorded by", "members")


@dataclass(frozen=True, kw_only=True)
class Need(Record):
    KIND = Kind("needs", noun="need")

    name: str = text("Need", required=True, aliases=("title", "need"))
    category: str = choice("Category", NeedCategory, default="other", open_choice=True)
    priority: str = choice("Priority", Priority, default="medium")
    survey_id: str = ref("Survey", "surveys")
    mentions: int = integer("Mentions", minimum=0)
    description: str = text("Description", multiline=True)


@dataclass(frozen=True, kw_only=True)
class Goal(Record):
    KIND = Kind("goals", noun="goal")

    name: str = text("Goal", required=True, aliases=("title", "goal", "objective"))
    description: str = text("Description", multiline=True)
    need_ids: frozenset[str] = tags("Needs it meets", ref_to="needs")
    owner_id: str = ref("Owner", "members")
    target_date: date | None = date_field("Target date", aliases=("due", "deadline", "by"))
    status: str = choice("Status", GoalStatus, default="active")
    measure: str = text("Measure", help="What is counted, e.g. 'households with 2 weeks of water'")
    target: float = number("Target", minimum=0)
    current: float = number("Current value", minimum=0)
    milestones: dict[str, dict[str, Any]] = entries(
        "Milestones",
        title=text("Milestone", required=True),
        due=date_field("Due"),
        done=flag("Done"),
        done_on=date_field("Done on"),
    )
    event_ids: frozenset[str] = tags("Events", ref_to="events")
    progress_log: dict[str, str] = mapping("Progress log")
