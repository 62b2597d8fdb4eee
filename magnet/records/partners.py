"""Local businesses, agencies and organisations the group works with."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from magnet.fields import choice, date_field, tags, text
from magnet.kinds import Kind, Sheet
from magnet.record import Record


class PartnerKind(StrEnum):
    BUSINESS = "business"
    AGENCY = "agency"
    NON_PROFIT = "non_profit"
    OTHER = "other"


@dataclass(frozen=True, kw_only=True)
class Partner(Record):
    KIND = Kind(
        "partners",
        noun="partner",
        sheet=Sheet(
            columns=(
                "name",
                "kind",
                "contact_name",
                "phone",
                "email",
                "address",
                "offers",
                "agreements",
                "last_contact",
                "follow_up",
                "notes",
            ),
            aliases={
                "contact_name": ("contact person name",),
                "address": ("street address", "city", "zip", "postcode"),
            },
            joined={"address": ", "},
            words={
                "de": {"name": ("organisation", "firma"), "phone": ("telefon",), "contact_name": ("ansprechpartner",)},
                "es": {"name": ("organización", "empresa"), "phone": ("teléfono",), "contact_name": ("contacto",)},
                "fr": {
                    "name": ("organisation", "entreprise"),
                    "phone": ("téléphone",),
                    "contact_name": ("interlocuteur",),
                },
                "pt": {
                    "name": ("organização", "empresa"),
                    "phone": ("telefone",),
                    "contact_name": ("contato", "contacto"),
                },
            },
            same=("phone", "email"),
            rank=3,
        ),
    )

    name: str = text(
        "Organisation",
        required=True,
        aliases=("organisation", "organization", "org", "company", "business", "partner", "agency"),
    )
    kind: str = choice("Kind", PartnerKind, default="other", aliases=("type", "category", "sector"))
    contact_name: str = text("Contact", aliases=("contact", "contact person", "contact name", "representative"))
    phone: str = text("Phone", aliases=("phone number", "telephone", "tel", "mobile"))
    email: str = text("Email", aliases=("e-mail", "email address"))
    address: str = text("Address", aliases=("location", "where"))
    offers: frozenset[str] = tags(
        "Offers", aliases=("offer", "offers", "provides", "resources", "what they offer", "services")
    )
    agreements: str = text("Agreements", aliases=("agreement", "mou", "terms"), multiline=True)
    last_contact: date | None = date_field("Last contact", aliases=("last contacted", "last contact date", "contacted"))
    follow_up: date | None = date_field("Follow up by", aliases=("follow up", "next contact", "follow-up"))
    notes: str = text("Notes", aliases=("note", "comments"), multiline=True)
