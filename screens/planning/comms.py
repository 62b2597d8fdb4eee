"""Communication: the PACE plan tier by tier, announcements, and the call tree built from the roster.

The call tree reaches every member who agreed to share contact details, exactly once; each person
confirms back to whoever called them. g rebuilds it from today's roster; c sets a member's caller
by hand (kept by every rebuild), u hands them back; s lists who is skipped and why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from rich.text import Text
from textual import work
from textual.binding import Binding, BindingType

from magnet.calltree import CallTreeUpdate, TreeLine, in_call_tree, not_in_tree, regenerate, tree_lines
from magnet.communication import (
    how_to_reach,
    pace_plan,
    plan_problems,
    release,
    set_caller,
)
from magnet.records import Announcement, Channel, Member, MemberStatus
from magnet.values import choice_label
from screens.markup import escape
from screens.planning.ask import member_choices
from screens.planning.tabs import TabbedPage
from screens.widgets.modals import InfoModal, PickModal
from screens.widgets.record_table import Column, RecordTable, field_column

CHANNEL_FIELDS = ("name", "tier", "details", "radio_channel", "frequency", "phone", "place", "schedule", "trigger")
ANNOUNCEMENT_FIELDS = ("name", "body", "urgency", "pinned")
URGENCY_RANK = {"info": 0, "important": 1, "urgent": 2}  # pinned, then most urgent, then newest first
URGENCY_STYLE = {"urgent": "bold white on red", "important": "bold yellow", "info": ""}


@dataclass(frozen=True)
class CommsData:
    channels: list[Channel]
    announcements: list[Announcement]
    tree: list[TreeLine]
    unreached: list[Member] = field(default_factory=list)
    skipped: list[Member] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def phone_of(member: Member) -> str:
    return next(iter(member.phones.values()), "")


class CommsScreen(TabbedPage[CommsData]):
    TITLE_TEXT = "Comms"
    HELP = (
        "The PACE plan (primary, alternate, contingency, emergency): each tier's channel, how to use "
        "it, and when to switch to the next. Announcements: a posts one, p pins it, Enter reads it. "
        "Call tree: g builds it from the roster (only members who share contact details), c sets "
        "who calls the highlighted member, u hands them back, s shows who is skipped."
    )
    TABS = (("pace", "PACE plan"), ("news", "Announcements"), ("tree", "Call tree"))
    WATCHES: ClassVar[frozenset[str] | None] = frozenset({"channels", "announcements", "call_tree", "members"})
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "add", "Add"),
        Binding("e", "edit", "Edit"),
        Binding("x", "archive", "Archive"),
        Binding("p", "pin", "Pin", show=False),
        Binding("g", "generate", "Build tree"),
        Binding("c", "set_caller", "Caller"),
        Binding("u", "release", "Auto", show=False),
        Binding("s", "skipped", "Skipped", show=False),
    ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.data = CommsData([], [], [])

    def make_table(self, tab: str) -> RecordTable[Any]:
        if tab == "pace":
            tiers = {t: i for i, t in enumerate(("primary", "alternate", "contingency", "emergency"))}
            return RecordTable(
                [
                    Column(
                        "tier",
                        "Tier",
                        lambda c: choice_label(c.tier),
                        lambda c: (tiers.get(c.tier, 9), c.name),
                        width=11,
                    ),
                    field_column(Channel, "name", width=14),
                    Column("reach", "How", how_to_reach, width=19),
                    field_column(Channel, "trigger", "Switch when", width=14),
                ],
                sort="tier",
                id="pace",
            )
        if tab == "news":
            return RecordTable(
                [
                    Column("pin", "", lambda a: "*" if a.pinned else "", width=1),
                    Column(
                        "urgency",
                        "Urgency",
                        lambda a: Text(choice_label(a.urgency), style=URGENCY_STYLE.get(a.urgency, "")),
                        lambda a: (
                            a.pinned,
                            URGENCY_RANK.get(a.urgency, 0),
                            a.posted_at or a.created_at or datetime.min,
                        ),
                        width=9,
                    ),
                    Column("posted", "Posted", lambda a: f"{a.posted_at:%d %b %H:%M}" if a.posted_at else "", width=12),
                    field_column(Announcement, "name", "Headline", width=30),
                ],
                sort="urgency",
                reverse=True,
                haystack=lambda a: a.body,
                id="news",
            )
        return RecordTable(
            [
                Column("name", "Calls down the tree", self._tree_name, width=24),
                Column("zone", "Zone", lambda line: line.member.zone, width=4),
                Column("phone", "Phone", lambda line: phone_of(line.member), width=13),
                Column(
                    "confirms", "Confirms to", lambda line: line.confirms_to.name if line.confirms_to else "", width=14
                ),
            ],
            key=lambda line: line.member.id,
            is_archived=None,
            haystack=lambda line: line.caller.name if line.caller else "",
            id="tree",
        )

    @staticmethod
    def _tree_name(line: TreeLine) -> Text:
        name = Text("  " * line.depth + line.member.name)
        if line.manual:
            name.append(" (by hand)", style="cyan")
        return name

    # ---- data --------------------------------------------------------------------------------

    def load(self) -> CommsData:
        doc = self.session.doc
        members = doc.members.all()
        lines = tree_lines(members, doc.call_tree.all())
        skipped = sorted(
            (m for m in members if not in_call_tree(m) and m.status != MemberStatus.LEFT.value),
            key=lambda m: m.name.lower(),
        )
        channels = doc.channels.all(include_archived=True)
        return CommsData(
            channels,
            doc.announcements.all(include_archived=True),
            lines,
            not_in_tree(members, lines) if lines else [m for m in members if in_call_tree(m)],
            skipped,
            plan_problems(pace_plan(channels)),
        )

    def show(self, data: CommsData) -> None:
        self.data = data
        tree = f"{len(data.tree)} reached · " + (
            f"[b yellow]{len(data.unreached)} not in it yet (g)[/] · " if data.unreached else ""
        )
        notes = {
            "pace": "[b red]" + escape("; ".join(data.problems)) + "[/]"
            if data.problems
            else "[green]every tier has a channel and a trigger[/]",
            "news": "pinned first, then the most urgent, newest first · Enter reads one",
            "tree": f"{tree}{len(data.skipped)} skipped (s) · c sets a caller",
        }
        self.fill({"pace": data.channels, "news": data.announcements, "tree": data.tree}, notes[self.tab])

    def show_tab(self, tab: str) -> None:
        super().show_tab(tab)
        self.show(self.data)

    # ---- records -----------------------------------------------------------------------------

    def action_add(self) -> None:
        if self.tab == "pace":
            self.open_form(Channel, fields=CHANNEL_FIELDS, then=self.select_later)
        elif self.tab == "news":
            me = self.session.me()
            defaults: dict[str, Any] = {"posted_at": self.session.now()}
            self.open_form(
                Announcement,
                fields=ANNOUNCEMENT_FIELDS,
                title="New announcement",
                then=lambda a: self._posted(a, me.id if me else ""),
                defaults=defaults,
            )
        else:
            self.action_generate()

    def _posted(self, announcement: Announcement, author: str) -> None:
        doc = self.session.doc
        now = self.session.now()
        self.write(lambda: doc.announcements.update(announcement.id, posted_at=now, author_id=author))
        self.select_later(announcement)

    def action_edit(self) -> None:
        record = self.current
        if isinstance(record, Channel):
            self.open_form(Channel, record, fields=CHANNEL_FIELDS)
        elif isinstance(record, Announcement):
            self.open_form(Announcement, record, fields=ANNOUNCEMENT_FIELDS)

    def action_archive(self) -> None:
        if isinstance(self.current, Channel | Announcement):
            self.confirm_archive(self.current)

    def action_pin(self) -> None:
        record = self.current
        if isinstance(record, Announcement):
            doc = self.session.doc
            self.write(lambda: doc.announcements.update(record.id, pinned=not record.pinned))

    def on_record_table_chosen(self, event: RecordTable.Chosen) -> None:
        event.stop()
        row = event.row
        if isinstance(row, Announcement):
            self.open_detail(row, fields=(*ANNOUNCEMENT_FIELDS, "posted_at", "author_id"))
        elif isinstance(row, Channel):
            self.open_detail(row, fields=CHANNEL_FIELDS)
        elif isinstance(row, TreeLine):
            self.action_set_caller()

    # ---- the call tree -----------------------------------------------------------------------

    def action_generate(self) -> None:
        doc = self.session.doc
        self.write(lambda: regenerate(doc), self._rebuilt)

    def _rebuilt(self, update: CallTreeUpdate) -> None:
        plan = update.plan
        said = f"Call tree: {len(plan.links) + (1 if plan.root_id else 0)} people"
        said += f", {update.added} new and {update.changed} changed links"
        if plan.ignored_manual:
            said += f"; {len(plan.ignored_manual)} hand-set links no longer fit and are not used"
        self.notify(said, title="Call tree", timeout=6)
        if self.tab != "tree":
            self.show_tab("tree")

    @work(exclusive=True, group="comms-ask")
    async def action_set_caller(self) -> None:
        line = self.table("tree").current if self.tab == "tree" else None
        if not isinstance(line, TreeLine):
            self.notify("Pick a member in the call tree (t) first")
            return
        member = line.member
        doc = self.session.doc
        callers = {tl.member.id for tl in self.data.tree if tl.member.id != member.id}
        choices = member_choices(doc, only=callers)
        caller_id = await self.app.push_screen_wait(
            PickModal(f"Who calls {member.name}?", choices, current=line.caller.id if line.caller else None)
        )
        if caller_id:
            self.write(lambda: set_caller(doc, member.id, caller_id), self._rebuilt)

    def action_release(self) -> None:
        line = self.table("tree").current if self.tab == "tree" else None
        if isinstance(line, TreeLine) and line.manual:
            doc = self.session.doc
            self.write(lambda: release(doc, line.member.id), self._rebuilt)

    def action_skipped(self) -> None:
        lines = ["[b]Not called: no consent to share contact details[/]"]
        lines += [f"  {escape(m.name)}" for m in self.data.skipped] or ["  nobody"]
        lines += ["", "[b]Joined since the tree was built (g adds them)[/]"]
        lines += [f"  {escape(m.name)}" for m in self.data.unreached] or ["  nobody"]
        self.app.push_screen(InfoModal("Outside the call tree", "\n".join(lines), markup=True))
