"""Requests and offers between neighbors: post one, match a request with an offer, track the pair to done.

m offers the best-fitting counterparts first (same category, shared words). s starts a matched
pair, d marks it done, c cancels (the other side goes back to open), u reopens. Finished ones are
hidden until f shows them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, ClassVar

from rich.text import Text
from textual import work
from textual.binding import Binding, BindingType

from magnet import exchanges
from magnet.plural import counted
from magnet.records import Exchange
from magnet.values import choice_label
from screens.listing import RecordListScreen
from screens.planning.page import PlanPage
from screens.widgets.modals import PickModal
from screens.widgets.record_table import Column, field_column

POST_FIELDS = ("kind", "name", "category", "details", "member_id")
STATE_STYLE = {
    "open": "bold",
    "matched": "cyan",
    "in_progress": "yellow",
    "done": "green",
    "cancelled": "dim strike",
}
FINISHED = frozenset({exchanges.DONE, exchanges.CANCELLED})


class ExchangesScreen(PlanPage[Sequence[Exchange]], RecordListScreen[Exchange]):
    TITLE_TEXT = "Requests"
    HELP = (
        "Neighbors' requests for help and offers of it. a posts one; m matches the highlighted one "
        "with a counterpart (best fit first); s starts a matched pair, d marks it done, c cancels "
        "(the other side opens again), u reopens. f shows finished ones; Enter shows details."
    )
    RECORD_TYPE = Exchange
    FORM_FIELDS = POST_FIELDS
    SORT = "state"
    WATCHES: ClassVar[frozenset[str] | None] = frozenset({"exchanges", "members"})
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("m", "match", "Match"),
        Binding("s", "move('in_progress')", "Start"),
        Binding("d", "move('done')", "Done"),
        Binding("c", "move('cancelled')", "Cancel"),
        Binding("u", "move('open')", "Reopen", show=False),
        Binding("f", "finished", "Finished", show=False),
    ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.show_finished = False
        self.everything: list[Exchange] = []
        self.names: dict[str, str] = {}

    def columns(self) -> Sequence[Column[Exchange]]:
        return [
            Column("kind", "Kind", lambda e: e.kind, width=7),
            Column(
                "state",
                "State",
                self._state,
                lambda e: list(STATE_STYLE).index(e.state) if e.state in STATE_STYLE else 9,
                width=11,
            ),
            field_column(Exchange, "name", width=22),
            Column("from", "From", lambda e: self.names.get(e.member_id, ""), width=12),
        ]

    @staticmethod
    def _order(exchange: Exchange) -> tuple[int, datetime]:
        """Open first, then matched, under way, done, cancelled; oldest first within each."""
        rank = list(STATE_STYLE).index(exchange.state) if exchange.state in STATE_STYLE else len(STATE_STYLE)
        return (rank, exchange.posted_at or exchange.created_at or datetime.min)

    @staticmethod
    def _state(exchange: Exchange) -> Text:
        return Text(choice_label(exchange.state), style=STATE_STYLE.get(exchange.state, ""))

    def search_terms(self) -> dict[str, Any]:
        return {
            "kind": lambda e, v: e.kind.startswith(v),
            "state": lambda e, v: e.state.startswith(v.replace(" ", "_")),
            "category": lambda e, v: v in e.category.lower(),
        }

    def haystack(self, record: Exchange) -> str:
        return f"{record.category} {record.details}"

    def load(self) -> Sequence[Exchange]:
        self.names = {m.id: m.name for m in self.session.doc.members.all(include_archived=True)}
        return self.collection.all(include_archived=True)

    def show(self, data: Sequence[Exchange]) -> None:
        self.everything = list(data)
        rows = [e for e in data if self.show_finished or e.state not in FINISHED]
        super().show(rows)
        live = [e for e in data if not e.archived]
        requests = sum(1 for e in live if e.kind == "request" and e.state == exchanges.OPEN)
        offers = sum(1 for e in live if e.kind == "offer" and e.state == exchanges.OPEN)
        matches = len(exchanges.suggestions(live))
        broken = len(exchanges.broken(live))
        head = f"open: {counted(requests, 'request')}, {counted(offers, 'offer')} · [b cyan]{matches} to match (m)[/]"
        if broken:
            head += f" · [b red]{broken} matched twice: u reopens[/]"
        head += "" if self.show_finished else " · [dim]f finished[/]"
        self.query_one("#head").update(head)  # type: ignore[attr-defined]
        self.query_one("#head").display = True

    # ---- actions -----------------------------------------------------------------------------

    def action_add(self) -> None:
        me = self.session.me()
        defaults: dict[str, Any] = {"member_id": me.id} if me else {}
        now = self.session.now()

        def posted(exchange: Exchange) -> None:
            doc = self.session.doc
            self.write(lambda: doc.exchanges.update(exchange.id, posted_at=now))
            self.select_later(exchange)

        self.open_form(Exchange, fields=POST_FIELDS, defaults=defaults, title="Post a request or an offer", then=posted)

    def action_finished(self) -> None:
        self.show_finished = not self.show_finished
        self.show(self.everything)

    @work(exclusive=True, group="exchange-ask")
    async def action_match(self) -> None:
        item = self.records.current
        if item is None:
            return
        if item.state != exchanges.OPEN:
            self.notify(f"{item.name!r} is {choice_label(item.state)}; u reopens it first", severity="warning")
            return
        fits = exchanges.candidates(item, self.everything)
        fitting = {c.offer.id for c in fits}
        other = "offer" if item.kind == "request" else "request"
        rest = [
            e
            for e in self.everything
            if e.kind == other and exchanges.is_open(e) and e.id not in fitting and e.id != item.id
        ]
        choices = [
            (f"{c.offer.name} — {self.names.get(c.offer.member_id, '?')} (fits {c.score})", c.offer.id) for c in fits
        ]
        choices += [(f"{e.name} — {self.names.get(e.member_id, '?')}", e.id) for e in rest]
        if not choices:
            self.notify(f"No open {other} to match with yet")
            return
        chosen = await self.app.push_screen_wait(PickModal(f"Match {item.name!r} with which {other}?", choices))
        if not chosen:
            return
        doc = self.session.doc
        request_id, offer_id = (item.id, chosen) if item.kind == "request" else (chosen, item.id)
        self.write(lambda: exchanges.match(doc, request_id, offer_id), lambda _: self.notify("Matched", timeout=3))

    def action_move(self, state: str) -> None:
        item = self.records.current
        if item is None:
            return
        doc = self.session.doc
        now = self.session.now()
        self.write(lambda: exchanges.move(doc, item.id, state, at=now))

    def chosen(self, record: Exchange) -> None:
        self.open_detail(record, fields=(*POST_FIELDS, "state", "match_id", "posted_at", "done_at"), related=match_note)


def match_note(doc: Any, record: Exchange) -> list[str]:
    """A match the other side does not return (two devices matched it twice), for the details."""
    partner = doc.exchanges.find(record.match_id) if record.match_id else None
    if partner is not None and partner.match_id != record.id:
        return ["[b red]Its match was matched with something else on another device: u reopens this one[/]"]
    return []
