"""Partners: follow-ups coming due, partners nobody has spoken to lately, and who offers what the group needs.

A partnership lapses quietly: the pantry manager changes, the fire station forgets the group
exists. So the partner list leads with follow-ups due (overdue first) and partners not contacted
for `OUT_OF_TOUCH_DAYS`, and each need shows the partners whose offers fit it, by need category
or by shared words ("water storage" and "water barrels").
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from magnet.document import GroupDocument
from magnet.needs import by_priority
from magnet.records import Need, NeedCategory, Partner
from magnet.wording import category_for, words

FOLLOW_UP_DAYS = 14
OUT_OF_TOUCH_DAYS = 90


def live(partners: Iterable[Partner]) -> list[Partner]:
    return [p for p in partners if not p.archived]


def follow_ups_due(partners: Iterable[Partner], *, today: date, within: int = FOLLOW_UP_DAYS) -> list[Partner]:
    """Partners with a follow-up due within `within` days (or overdue), soonest first."""
    until = today + timedelta(days=within)
    found = [p for p in live(partners) if p.follow_up is not None and p.follow_up <= until]
    found.sort(key=lambda p: (p.follow_up or today, p.name.lower()))
    return found


def out_of_touch(partners: Iterable[Partner], *, today: date, days: int = OUT_OF_TOUCH_DAYS) -> list[Partner]:
    """Partners not contacted for `days` (or never), longest silent first."""
    cut = today - timedelta(days=days)
    found = [p for p in live(partners) if p.last_contact is None or p.last_contact < cut]
    found.sort(key=lambda p: (p.last_contact is not None, p.last_contact or date.min, p.name.lower()))
    return found


def offer_fits(offer: str, need: Need) -> bool:
    """Does one thing a partner offers meet a need: the same need category, or a shared word."""
    category = category_for(offer)
    if category is not None and category == need.category and need.category != NeedCategory.OTHER.value:
        return True
    return bool(words(offer) & words(f"{need.name} {need.description}"))


def offers_for(need: Need, partners: Iterable[Partner]) -> list[tuple[Partner, tuple[str, ...]]]:
    """(partner, the offers of theirs that fit) for one need."""
    found = []
    for partner in live(partners):
        fitting = tuple(sorted(o for o in partner.offers if offer_fits(o, need)))
        if fitting:
            found.append((partner, fitting))
    found.sort(key=lambda pair: (-len(pair[1]), pair[0].name.lower()))
    return found


@dataclass(frozen=True)
class NeedSupport:
    need: Need
    partners: tuple[tuple[Partner, tuple[str, ...]], ...]


def support_for_needs(needs: Iterable[Need], partners: Iterable[Partner]) -> list[NeedSupport]:
    """Every live need, most pressing first, with the partners who could help meet it."""
    known = live(partners)
    return [NeedSupport(n, tuple(offers_for(n, known))) for n in by_priority(n for n in needs if not n.archived)]


def record_contact(doc: GroupDocument, partner_id: str, *, on: date, follow_up: date | None = None) -> Partner:
    """We spoke to them on `on`; the next follow-up is `follow_up` (None clears a follow-up now met).

    An older contact logged late never moves `last_contact` back.
    """
    partner = doc.partners.get(partner_id)
    changes: dict[str, object] = {"follow_up": follow_up}
    if partner.last_contact is None or partner.last_contact < on:
        changes["last_contact"] = on
    return doc.partners.update(partner_id, **changes)
