"""Membership: the group's levels and roles with what each asks of people and who holds it, and who went quiet.

A level or role someone holds that nobody has described yet shows too (in italics), so the core
team sees what to write up. g gives the highlighted level or role to a member (or takes a role
back); on the quiet list, m notes that someone was seen today and Enter opens their details.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, ClassVar

from rich.text import Text
from textual import work
from textual.binding import Binding, BindingType

from magnet.membership import QUIET_DAYS, Post, Seen, group_last_seen, mark_active, posts, quiet, role_key
from magnet.plural import counted
from magnet.records import Role, RoleKind
from screens.markup import escape
from screens.planning.ask import member_choices
from screens.planning.tabs import TabbedPage
from screens.widgets.modals import InfoModal, PickModal
from screens.widgets.record_table import Column, RecordTable

ROLE_FIELDS = ("name", "kind", "responsibilities", "how_to_join")


@dataclass(frozen=True)
class MembershipData:
    posts: list[Post]
    quiet: list[Seen]
    today: date
    members: int = 0
    roles: list[Role] = field(default_factory=list)


class MembershipScreen(TabbedPage[MembershipData]):
    TITLE_TEXT = "Members"
    HELP = (
        "Levels (core team, active member, volunteer, advisory) and roles (block captain, radio "
        "operator) with their responsibilities and holders: Enter shows them, g gives one to a "
        "member, a describes a new one. Quiet: active members not seen for 90 days (no event, "
        "RSVP, check-in, training, survey or feedback); m marks one seen today, Enter opens them."
    )
    TABS = (("posts", "Levels and roles"), ("quiet", "Quiet"))
    WATCHES: ClassVar[frozenset[str] | None] = None
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "add", "Add"),
        Binding("e", "edit", "Edit"),
        Binding("g", "give", "Give"),
        Binding("m", "seen", "Seen today"),
        Binding("x", "archive", "Archive", show=False),
    ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.data = MembershipData([], [], date.today())

    def make_table(self, tab: str) -> RecordTable[Any]:
        if tab == "posts":
            return RecordTable(
                [
                    Column("kind", "Kind", lambda p: p.kind, width=5),
                    Column("name", "Name", self._post_name, lambda p: p.name.lower(), width=16),
                    Column("people", "People", lambda p: str(len(p.holders)), lambda p: len(p.holders), width=6),
                    Column("duties", "Responsibilities", lambda p: p.responsibilities, width=28),
                ],
                key=lambda p: f"{p.kind}:{p.key}",
                is_archived=None,
                haystack=lambda p: " ".join(m.name for m in p.holders),
                id="posts",
            )
        return RecordTable(
            [
                Column("name", "Name", lambda s: s.member.name, lambda s: s.member.name.lower(), width=18),
                Column(
                    "seen", "Last seen", lambda s: s.day.isoformat() if s.day else "never", self._seen_key, width=10
                ),
                Column("how", "How", lambda s: s.how, width=20),
                Column("days", "Days", self._days, lambda s: -(s.quiet_days(self.data.today) or 10**6), width=4),
            ],
            key=lambda s: s.member.id,
            is_archived=None,
            id="quiet",
        )

    @staticmethod
    def _post_name(post: Post) -> Text:
        return Text(post.name, style="" if post.role else "italic yellow")

    @staticmethod
    def _seen_key(seen: Seen) -> date:
        return seen.day or date.min

    def _days(self, seen: Seen) -> str:
        days = seen.quiet_days(self.data.today)
        return "—" if days is None else str(days)

    # ---- data --------------------------------------------------------------------------------

    def load(self) -> MembershipData:
        doc = self.session.doc
        today = self.session.now().date()
        roles = doc.roles.all()
        members = doc.members.all()
        seen = group_last_seen(doc, today=today)
        return MembershipData(posts(roles, members), quiet(seen.values(), today=today), today, len(members), roles)

    def show(self, data: MembershipData) -> None:
        self.data = data
        undescribed = sum(1 for p in data.posts if p.role is None)
        notes = {
            "posts": (f"[yellow]{undescribed} held but not described yet (a)[/] · " if undescribed else "")
            + "Enter shows holders · g gives to a member",
            "quiet": f"{len(data.quiet)} of {counted(data.members, 'member')} not seen for {QUIET_DAYS} days"
            " · m seen today",
        }
        self.fill({"posts": data.posts, "quiet": data.quiet}, notes[self.tab])

    def show_tab(self, tab: str) -> None:
        super().show_tab(tab)
        self.show(self.data)

    # ---- actions -----------------------------------------------------------------------------

    def action_add(self) -> None:
        self.open_form(Role, fields=ROLE_FIELDS, title="Describe a level or role")

    def action_edit(self) -> None:
        post = self.current
        if not isinstance(post, Post):
            return
        if post.role is not None:
            self.open_form(Role, post.role, fields=ROLE_FIELDS)
        else:
            self.open_form(Role, fields=ROLE_FIELDS, defaults={"name": post.name, "kind": post.kind})

    def action_archive(self) -> None:
        post = self.current
        if isinstance(post, Post) and post.role is not None:
            self.confirm_archive(post.role)

    def on_record_table_chosen(self, event: RecordTable.Chosen) -> None:
        event.stop()
        row = event.row
        if isinstance(row, Post) and row.role is not None:
            holders = [m.name for m in row.holders]
            self.open_detail(
                row.role,
                fields=ROLE_FIELDS,
                related=lambda _doc, _role: [f"[b]Held by {len(holders)}[/] " + escape(", ".join(holders))],
            )
        elif isinstance(row, Post):
            lines = [escape(row.responsibilities) or "[dim]No responsibilities written yet (e writes them).[/]"]
            if row.role is not None and row.role.how_to_join:
                lines += ["", "[b]How to join[/]", escape(row.role.how_to_join)]
            lines += ["", f"[b]Held by {len(row.holders)}[/]"]
            lines += [f"  {escape(m.name)}" + (f" ({escape(m.zone)})" if m.zone else "") for m in row.holders]
            self.app.push_screen(InfoModal(f"{row.name} ({row.kind})", "\n".join(lines), markup=True))
        elif isinstance(row, Seen):
            from screens.member_detail import MemberDetail

            self.app.push_screen(MemberDetail(self.session, row.member.id))

    @work(exclusive=True, group="members-ask")
    async def action_give(self) -> None:
        post = self.current
        if not isinstance(post, Post):
            self.notify("Pick a level or role first")
            return
        doc = self.session.doc
        holders = {m.id for m in post.holders}
        choices = [
            (("✓ " if member_id in holders else "  ") + label, member_id) for label, member_id in member_choices(doc)
        ]
        verb = "Who is" if post.kind == RoleKind.LEVEL.value else "Who takes on (✓ gives up)"
        member_id = await self.app.push_screen_wait(PickModal(f"{verb} {post.name}?", choices))
        if not member_id:
            return

        def give() -> Any:
            member = doc.members.get(member_id)
            if post.kind == RoleKind.LEVEL.value:
                return doc.members.update(member_id, level=post.name)
            mine = {r for r in member.roles if role_key(r) == post.key}
            roles = member.roles - mine if mine else member.roles | {post.name.lower()}
            return doc.members.update(member_id, roles=roles)

        self.write(lambda: doc.atomic(give))

    def action_seen(self) -> None:
        seen = self.current
        if isinstance(seen, Seen):
            doc = self.session.doc
            today = self.session.now().date()
            self.write(lambda: mark_active(doc, seen.member.id, on=today))
            self.notify(f"{seen.member.name} seen today", timeout=3)
