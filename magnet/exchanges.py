"""Requests and offers between neighbors: match them, then track each pair from open to done.

States move along `TRANSITIONS`: open -> matched -> in_progress -> done, and anything not done
may be cancelled. A match links both sides through `match_id`, written together under the
document's lock. When the two sides of a pair move, they move together: cancelling a request
puts its offer back to open for someone else. Two devices matching the same offer to different
requests at once leave one of the requests pointing at an offer that points elsewhere; `broken`
finds those so a person can reopen them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from magnet.document import GroupDocument
from magnet.errors import MagnetError
from magnet.records import Exchange, ExchangeKind, ExchangeState
from magnet.wording import category_for, words

OPEN = ExchangeState.OPEN.value
MATCHED = ExchangeState.MATCHED.value
IN_PROGRESS = ExchangeState.IN_PROGRESS.value
DONE = ExchangeState.DONE.value
CANCELLED = ExchangeState.CANCELLED.value
TRANSITIONS: dict[str, frozenset[str]] = {
    OPEN: frozenset({MATCHED, CANCELLED}),
    MATCHED: frozenset({OPEN, IN_PROGRESS, DONE, CANCELLED}),
    IN_PROGRESS: frozenset({OPEN, DONE, CANCELLED}),
    DONE: frozenset(),
    CANCELLED: frozenset({OPEN}),
}


def _category(exchange: Exchange) -> str:
    """The exchange's category, or the need category its words name."""
    given = exchange.category.strip().lower()
    return given or category_for(f"{exchange.name} {exchange.details}") or ""


def match_score(request: Exchange, offer: Exchange) -> int:
    """How well an offer fits a request: 3 for the same category, plus 1 per shared word."""
    score = 0
    category = _category(request)
    if category and category == _category(offer):
        score += 3
    score += len(words(f"{request.name} {request.details}") & words(f"{offer.name} {offer.details}"))
    return score


def is_open(exchange: Exchange) -> bool:
    return not exchange.archived and exchange.state == OPEN


@dataclass(frozen=True)
class Candidate:
    offer: Exchange
    score: int


def candidates(request: Exchange, exchanges: Iterable[Exchange]) -> list[Candidate]:
    """Open offers (or, for an offer, open requests) that fit, best first; someone's own never."""
    other = ExchangeKind.OFFER.value if request.kind == ExchangeKind.REQUEST.value else ExchangeKind.REQUEST.value
    found = []
    for item in exchanges:
        if item.id == request.id or item.kind != other or not is_open(item):
            continue
        if request.member_id and item.member_id == request.member_id:
            continue
        score = match_score(request, item)
        if score > 0:
            found.append(Candidate(item, score))
    found.sort(key=lambda c: (-c.score, c.offer.posted_at or datetime.min, c.offer.name.lower()))
    return found


def suggestions(exchanges: Iterable[Exchange]) -> list[tuple[Exchange, Candidate]]:
    """Each open request with its best open offer, oldest request first."""
    items = list(exchanges)
    found = []
    for request in sorted(items, key=lambda e: (e.posted_at or datetime.min, e.name.lower())):
        if request.kind == ExchangeKind.REQUEST.value and is_open(request):
            best = candidates(request, items)
            if best:
                found.append((request, best[0]))
    return found


# ---- moving along -----------------------------------------------------------------------------


def match(doc: GroupDocument, request_id: str, offer_id: str) -> tuple[Exchange, Exchange]:
    """Pair a request with an offer; both must be open, and one of each."""

    def write() -> tuple[Exchange, Exchange]:
        first, second = doc.exchanges.get(request_id), doc.exchanges.get(offer_id)
        if {first.kind, second.kind} != {ExchangeKind.REQUEST.value, ExchangeKind.OFFER.value}:
            raise MagnetError("a match pairs a request with an offer")
        for side in (first, second):
            if not is_open(side):
                raise MagnetError(f"{side.name!r} is {side.state.replace('_', ' ')}, not open")
        return (
            doc.exchanges.update(first.id, state=MATCHED, match_id=second.id),
            doc.exchanges.update(second.id, state=MATCHED, match_id=first.id),
        )

    return doc.atomic(write)


def move(doc: GroupDocument, exchange_id: str, state: str, *, at: datetime) -> list[Exchange]:
    """Move an exchange (and its partner) to `state`; returns every record changed.

    Going back to open, or cancelling one side, unpairs: the other side is open again.
    """

    def write() -> list[Exchange]:
        item = doc.exchanges.get(exchange_id)
        if state not in TRANSITIONS.get(item.state, frozenset()):
            raise MagnetError(f"{item.name!r} cannot go from {item.state} to {state}".replace("_", " "))
        partner = partner_of(doc, item)
        changed: list[Exchange] = []
        if state in (OPEN, CANCELLED):
            changed.append(doc.exchanges.update(item.id, state=state, match_id=""))
            if partner is not None and partner.state not in (DONE, CANCELLED):
                changed.append(doc.exchanges.update(partner.id, state=OPEN, match_id=""))
            return changed
        if state == MATCHED:
            raise MagnetError("use match() to pair a request with an offer")
        values: dict[str, Any] = {"state": state}
        if state == DONE:
            values["done_at"] = at
        changed.append(doc.exchanges.update(item.id, **values))
        if partner is not None and partner.state in (MATCHED, IN_PROGRESS) and partner.state != state:
            changed.append(doc.exchanges.update(partner.id, **values))
        return changed

    return doc.atomic(write)


def partner_of(doc: GroupDocument, exchange: Exchange) -> Exchange | None:
    """The other side of a pair, only when it points back (see `broken`)."""
    if not exchange.match_id:
        return None
    other = doc.exchanges.find(exchange.match_id)
    return other if other is not None and other.match_id == exchange.id else None


def broken(exchanges: Iterable[Exchange]) -> list[Exchange]:
    """Paired exchanges whose other side points elsewhere: two devices matched one offer at once."""
    items = list(exchanges)
    by_id = {e.id: e for e in items}
    return [
        e
        for e in items
        if not e.archived
        and e.state in (MATCHED, IN_PROGRESS)
        and (e.match_id not in by_id or by_id[e.match_id].match_id != e.id)
    ]
