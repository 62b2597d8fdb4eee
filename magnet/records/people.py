"""Members, households, membership roles and the devices that speak for members."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from magnet.fields import choice, date_field, flag, integer, mapping, moment, ref, tags, text
from magnet.kinds import Kind, Sheet
from magnet.record import Record


class MembershipLevel(StrEnum):
    """The article's levels of involvement; a group may add its own."""

    CORE_TEAM = "core_team"
    ACTIVE_MEMBER = "active_member"
    VOLUNTEER = "volunteer"
    ADVISORY = "advisory"


class MemberStatus(StrEnum):
    ACTIVE = "active"
    INACTIVE = "inactive"
    AWAY = "away"
    LEFT = "left"


class SkillLevel(StrEnum):
    BASIC = "basic"
    TRAINED = "trained"
    CERTIFIED = "certified"
    EXPERT = "expert"


@dataclass(frozen=True, kw_only=True)
class Member(Record):
    KIND = Kind(
        "members",
        noun="member",
        sheet=Sheet(
            columns=(
                "name",
                "household_id",
                "zone",
                "phones",
                "email",
                "callsign",
                "languages",
                "level",
                "roles",
                "joined",
                "status",
                "skills",
                "consent_share",
                "address",
                "emergency_contact",
                "special_needs",
                "medical_notes",
                "notes",
            ),
            aliases={
                "address": (
                    "address 1",
                    "address 2",
                    "apt",
                    "apartment",
                    "unit",
                    "city",
                    "town",
                    "zip",
                    "zip code",
                    "postcode",
                    "post code",
                    "postal code",
                    "state",
                ),
                "emergency_contact": (
                    "emergency contact name",
                    "emergency contact phone",
                    "emergency phone",
                    "ice phone",
                ),
                "callsign": ("ham call sign", "amateur radio callsign"),
                "consent_share": (
                    "shares contact details",
                    "share contact details",
                    "consent to share",
                    "share details",
                ),
                "languages": ("spoken languages",),
            },
            joined={"address": ", ", "emergency_contact": "; "},
            refs={"household_id": "household"},
            rank=0,
        ),
    )

    name: str = text(
        "Name", required=True, aliases=("full name", "member", "person", "member name", "first and last name")
    )
    household_id: str = ref("Household", "households", aliases=("household",))
    address: str = text("Address", sensitive=True, aliases=("street address", "home address", "street"))
    zone: str = text("Zone / block", aliases=("block", "zone", "area", "zone/block", "neighborhood", "street block"))
    phones: dict[str, str] = mapping("Phones", aliases=("phone", "mobile", "cell", "phone number", "telephone", "tel"))
    email: str = text("Email", aliases=("e-mail", "email address", "mail"))
    callsign: str = text("Radio callsign", aliases=("call sign", "callsign", "ham callsign", "radio"))
    languages: frozenset[str] = tags("Languages", aliases=("language", "languages spoken", "speaks"))
    level: str = choice(
        "Membership level",
        MembershipLevel,
        default="active_member",
        open_choice=True,
        aliases=("membership", "membership level", "tier"),
    )
    roles: frozenset[str] = tags("Roles", aliases=("role", "position", "job"))
    joined: date | None = date_field("Joined", aliases=("joined on", "join date", "member since", "since"))
    status: str = choice("Status", MemberStatus, default="active", aliases=("member status",))
    emergency_contact: str = text(
        "Emergency contact", sensitive=True, aliases=("emergency", "ice", "in case of emergency")
    )
    skills: dict[str, str] = mapping(
        "Skills", values=SkillLevel, value_default="basic", aliases=("skill", "skills", "abilities", "expertise")
    )
    special_needs: str = text("Special needs", sensitive=True, aliases=("needs", "access needs", "special needs"))
    medical_notes: str = text(
        "Medical notes", sensitive=True, aliases=("medical", "medical info", "health", "allergies")
    )
    consent_share: bool = flag(
        "Shares contact details",
        aliases=("consent", "share contact", "share contacts", "ok to share"),
        help="May the group share this member's phone and email with other members?",
    )
    last_active: date | None = date_field("Last active")
    notes: str = text("Notes", aliases=("note", "comments", "comment"))


@dataclass(frozen=True, kw_only=True)
class Household(Record):
    KIND = Kind(
        "households",
        noun="household",
        sheet=Sheet(
            columns=("name", "zone", "phone", "people", "pets", "address", "special_needs", "notes"),
            aliases={
                "address": (
                    "street",
                    "address 1",
                    "address 2",
                    "city",
                    "town",
                    "zip",
                    "zip code",
                    "postcode",
                    "post code",
                    "postal code",
                    "state",
                ),
                "people": ("headcount", "occupants"),
            },
            joined={"address": ", "},
            rank=1,
        ),
    )

    name: str = text("Name", required=True, aliases=("household", "family", "household name"))
    address: str = text("Address", sensitive=True, aliases=("street address", "home address"))
    zone: str = text("Zone / block", aliases=("block", "zone", "area"))
    phone: str = text("Phone", aliases=("home phone", "landline"))
    people: int = integer(
        "People", minimum=0, aliases=("size", "household size", "people", "residents", "number of people"), default=1
    )
    pets: str = text("Pets")
    special_needs: str = text("Special needs", sensitive=True, aliases=("needs", "access needs"))
    notes: str = text("Notes")


class RoleKind(StrEnum):
    LEVEL = "level"
    ROLE = "role"


@dataclass(frozen=True, kw_only=True)
class Role(Record):
    """A membership level or a role, with the responsibilities that come with it."""

    KIND = Kind("roles", noun="role")

    name: str = text("Name", required=True)
    kind: str = choice("Kind", RoleKind, default="role")
    responsibilities: str = text("Responsibilities")
    how_to_join: str = text("How to join")


@dataclass(frozen=True, kw_only=True)
class Device(Record):
    """A laptop or Pi allowed to sync, tied to the member it speaks for."""

    KIND = Kind("devices", noun="device")

    name: str = text("Name", required=True)
    device_id: str = text("Device id", required=True)
    public_key: str = text("Public key")
    member_id: str = ref("Member", "members")
    added_at: datetime | None = moment("Added")
    revoked: bool = flag("Revoked")
    revoked_at: datetime | None = moment("Revoked at")
