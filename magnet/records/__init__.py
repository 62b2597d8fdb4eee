"""Every kind of record a Mutual Assistance Group keeps, and the collection each lives in."""

from magnet.record import Record
from magnet.records.comms import Announcement, AnnouncementUrgency, CallTreeLink, Channel, PaceTier
from magnet.records.crisis import CheckIn, Exchange, ExchangeKind, ExchangeState, Welfare
from magnet.records.gatherings import Event, EventKind, Feedback, Rsvp
from magnet.records.group import GroupProfile
from magnet.records.partners import Partner, PartnerKind
from magnet.records.people import Device, Household, Member, MembershipLevel, MemberStatus, Role, RoleKind, SkillLevel
from magnet.records.planning import Goal, GoalStatus, Need, NeedCategory, Priority, QuestionKind, Survey, SurveyResponse
from magnet.records.resources import Condition, InventoryItem, ItemCategory, Loan
from magnet.records.training import Certification, Course, CourseTopic, TrainingRecord

RECORD_TYPES: tuple[type[Record], ...] = (
    Member,
    Household,
    Role,
    Device,
    Survey,
    SurveyResponse,
    Need,
    Goal,
    Event,
    Feedback,
    Channel,
    Announcement,
    CallTreeLink,
    Partner,
    Course,
    TrainingRecord,
    Certification,
    InventoryItem,
    Loan,
    CheckIn,
    Exchange,
)

# Collection name (the document's root key) -> record type.
COLLECTIONS: dict[str, type[Record]] = {cls.COLLECTION: cls for cls in RECORD_TYPES}


def _said(word: str) -> str:
    return word.strip().lower().replace("-", "").replace("_", "").replace(" ", "")


# What people type for a kind: the collection, the record's noun and its plural ("item", "items").
_KIND_WORDS: dict[str, str] = {
    _said(word): cls.COLLECTION for cls in RECORD_TYPES for word in (cls.NOUN, cls.NOUN + "s", cls.COLLECTION)
} | {"calltree": "call_tree", "checkin": "checkins", "requests": "exchanges", "offers": "exchanges"}


def kind_named(word: str) -> str | None:
    """The collection a person means by `word` (`member`, `items`, `check-ins`), or None."""
    return _KIND_WORDS.get(_said(word))


__all__ = [
    "COLLECTIONS",
    "RECORD_TYPES",
    "Announcement",
    "AnnouncementUrgency",
    "CallTreeLink",
    "Certification",
    "Channel",
    "CheckIn",
    "Condition",
    "Course",
    "CourseTopic",
    "Device",
    "Event",
    "EventKind",
    "Exchange",
    "ExchangeKind",
    "ExchangeState",
    "Feedback",
    "Goal",
    "GoalStatus",
    "GroupProfile",
    "Household",
    "InventoryItem",
    "ItemCategory",
    "Loan",
    "Member",
    "MemberStatus",
    "MembershipLevel",
    "Need",
    "NeedCategory",
    "PaceTier",
    "Partner",
    "PartnerKind",
    "Priority",
    "QuestionKind",
    "Role",
    "RoleKind",
    "Rsvp",
    "SkillLevel",
    "Survey",
    "SurveyResponse",
    "TrainingRecord",
    "Welfare",
    "kind_named",
]
