"""Every kind of record a Mutual Assistance Group keeps, and the collection each lives in."""

from magnet.kinds import Kind, Sheet
from magnet.naming import said
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

# Every kind the group keeps, in the order people meet them. The document's collections, the CLI's
# kinds, the spreadsheet tables and the schema steps are derived from this list and each KIND.
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


def sheet_of(record_type: type[Record]) -> Sheet:
    """The spreadsheet layout of a kind that has one."""
    sheet = record_type.KIND.sheet
    if sheet is None:
        raise KeyError(f"{record_type.KIND.plural_noun} are not kept in spreadsheets")
    return sheet


# The kinds a spreadsheet can hold, in the order a tie in guessing goes.
SHEET_KINDS: dict[str, type[Record]] = {
    cls.COLLECTION: cls
    for cls in sorted((c for c in RECORD_TYPES if c.KIND.sheet is not None), key=lambda c: sheet_of(c).rank)
}

_KIND_WORDS: dict[str, str] = {word: cls.COLLECTION for cls in RECORD_TYPES for word in cls.KIND.said()}


def kind_named(word: str) -> str | None:
    """The collection a person means by `word` (`member`, `items`, `check-ins`), or None."""
    return _KIND_WORDS.get(said(word))


__all__ = [
    "COLLECTIONS",
    "RECORD_TYPES",
    "SHEET_KINDS",
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
    "Kind",
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
    "Sheet",
    "SkillLevel",
    "Survey",
    "SurveyResponse",
    "TrainingRecord",
    "Welfare",
    "kind_named",
    "sheet_of",
]
