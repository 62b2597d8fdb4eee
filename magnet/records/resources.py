"""The shared resource inventory and who has borrowed what."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from magnet.fields import choice, date_field, flag, number, ref, tally, text
from magnet.kinds import Kind, Sheet
from magnet.record import Record


class ItemCategory(StrEnum):
    WATER = "water"
    FOOD = "food"
    MEDICAL = "medical"
    POWER = "power"
    COMMUNICATIONS = "communications"
    TOOLS = "tools"
    SHELTER = "shelter"
    SANITATION = "sanitation"
    LIGHTING = "lighting"
    COOKING = "cooking"
    OTHER = "other"


class Condition(StrEnum):
    NEW = "new"
    GOOD = "good"
    FAIR = "fair"
    POOR = "poor"
    BROKEN = "broken"


@dataclass(frozen=True, kw_only=True)
class InventoryItem(Record):
    KIND = Kind(
        "inventory",
        noun="item",
        sheet=Sheet(
            columns=(
                "name",
                "category",
                "quantity",
                "unit",
                "location",
                "holder_id",
                "condition",
                "shareable",
                "expires",
                "minimum",
                "days_per_unit",
                "notes",
            ),
            aliases={"quantity": ("quantity on hand", "qty on hand"), "expires": ("expiry", "expires on")},
            words={
                "de": {
                    "minimum": ("mindestbestand", "mindestmenge"),
                    "name": ("artikel", "gegenstand", "bezeichnung"),
                    "category": ("kategorie",),
                    "quantity": ("menge", "anzahl", "bestand"),
                    "unit": ("einheit",),
                    "location": ("lagerort", "standort", "ort"),
                    "expires": ("ablaufdatum", "haltbar bis", "mhd"),
                    "notes": ("notizen", "bemerkungen"),
                },
                "es": {
                    "minimum": ("stock mínimo", "mínimo"),
                    "name": ("artículo", "objeto"),
                    "category": ("categoría",),
                    "quantity": ("cantidad", "existencias"),
                    "unit": ("unidad",),
                    "location": ("ubicación", "lugar"),
                    "expires": ("caducidad", "fecha de caducidad", "vence"),
                    "notes": ("notas", "observaciones"),
                },
                "fr": {
                    "minimum": ("stock minimum", "seuil"),
                    "name": ("article", "objet"),
                    "category": ("catégorie",),
                    "quantity": ("quantité",),
                    "unit": ("unité",),
                    "location": ("emplacement", "lieu"),
                    "expires": ("date de péremption", "péremption"),
                    "notes": ("remarques",),
                },
                "pt": {
                    "minimum": ("estoque mínimo", "mínimo"),
                    "name": ("artigo", "objeto"),
                    "category": ("categoria",),
                    "quantity": ("quantidade", "estoque"),
                    "unit": ("unidade",),
                    "location": ("local", "localização"),
                    "expires": ("validade", "data de validade"),
                    "notes": ("notas", "observações"),
                },
            },
            refs={"holder_id": "holder"},
            rank=2,
        ),
    )

    name: str = text("Item", required=True, aliases=("item", "item name", "description", "resource", "what", "thing"))
    category: str = choice(
        "Category", ItemCategory, default="other", open_choice=True, aliases=("type", "kind", "group")
    )
    quantity: float = tally("Quantity", aliases=("qty", "count", "amount", "number", "how many", "on hand", "stock"))
    unit: str = text("Unit", aliases=("units", "uom", "measure"))
    location: str = text("Location", aliases=("where", "place", "stored at", "storage", "kept at"))
    holder_id: str = ref("Held by", "members", aliases=("holder", "held by", "owner", "keeper"))
    condition: str = choice("Condition", Condition, default="good", aliases=("state",))
    shareable: bool = flag("Shareable", default=True, aliases=("share", "can lend", "lendable", "shared"))
    expires: date | None = date_field(
        "Expires", aliases=("expiry", "expiration", "expiry date", "use by", "best before", "exp")
    )
    minimum: float = number("Minimum stock", minimum=0, aliases=("min", "minimum", "min stock", "reorder at", "par"))
    days_per_unit: float = number(
        "Person-days per unit",
        minimum=0,
        help="blank: usual for the unit (gallon of water 1, meal 1/3)",
    )
    notes: str = text("Notes", aliases=("note", "comments"), multiline=True)


@dataclass(frozen=True, kw_only=True)
class Loan(Record):
    KIND = Kind("loans", noun="loan", title="item_id")

    item_id: str = ref("Item", "inventory", required=True)
    member_id: str = ref("Borrower", "members", required=True)
    quantity: float = number("Quantity", minimum=0, default=1)
    lent_on: date | None = date_field("Lent on")
    due_back: date | None = date_field("Due back")
    returned: bool = flag("Returned")
    returned_on: date | None = date_field("Returned on")
    notes: str = text("Notes", multiline=True)
