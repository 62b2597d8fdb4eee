"""One member: contact, skills, certifications, events attended; private fields only when asked."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar

from textual.binding import Binding, BindingType
from textual.widgets import Static

from magnet.readiness import events_attended, is_expired, skill_holders, skill_key
from magnet.records import Certification, Event, Household, Member
from magnet.values import choice_label, format_value
from screens.live_modal import DetailModal
from screens.markup import escape
from screens.session import Session
from screens.widgets.record_form import RecordForm

PRIVATE = ("address", "emergency_contact", "special_needs", "medical_notes")


@dataclass(frozen=True)
class MemberView:
    member: Member | None
    household: Household | None
    certifications: list[Certification]
    attended: list[Event]
    counted_skills: frozenset[str]
    today: date


class MemberDetail(DetailModal[MemberView]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Back"),
        Binding("e", "edit", "Edit"),
        Binding("p", "private", "Private fields"),
        Binding("c", "certify", "Add certification"),
        Binding("h", "history", "History"),
    ]

    def __init__(self, session: Session, member_id: str) -> None:
        super().__init__(session)
        self.member_id = member_id
        self.show_private = False

    def load(self) -> MemberView:
        doc = self.session.doc
        today = self.session.now().date()
        member = doc.members.find(self.member_id)
        household = doc.households.find(member.household_id) if member and member.household_id else None
        certs = [c for c in doc.certifications.all() if c.member_id == self.member_id]
        certs.sort(key=lambda c: c.expires or date.max)
        attended = events_attended(doc.events.all(), self.member_id)
        holders = skill_holders([member] if member else [], certs, today=today)
        counted = frozenset(skill for skill, ids in holders.items() if self.member_id in ids)
        return MemberView(member, household, certs, attended, counted, today)

    def show(self, data: MemberView) -> None:
        self._paint()

    def _paint(self) -> None:
        view = self.data
        if view is None:
            return
        member = view.member
        title = self.query_one("#detail-title", Static)
        body = self.query_one("#detail-body", Static)
        if member is None:
            title.update("Member not found")
            body.update("This member was deleted (perhaps on another device).")
            return
        archived = " [archived]" if member.archived else ""
        title.update(
            escape(
                f"{member.name}{archived} — {choice_label(member.level)} · zone {member.zone or '?'} · {member.status}"
            )
        )
        body.update("\n".join(self._lines(view, member)))

    def _lines(self, view: MemberView, member: Member) -> list[str]:
        e = escape
        lines: list[str] = []
        home = view.household
        if home is not None:
            lines.append(f"[b]Household[/] {e(home.name)} ({home.people} people)")
        share = member.consent_share
        contact_hidden = not share and not self.show_private
        if contact_hidden:
            lines.append("[b]Contact[/] [dim]not shared by this member (p shows)[/]")
        else:
            phones = format_value(Member.spec("phones"), member.phones)
            lines.append(f"[b]Phones[/] {e(phones) or '–'}   [b]Email[/] {e(member.email) or '–'}")
        if member.callsign:
            lines.append(f"[b]Radio[/] {e(member.callsign)}")
        lines.append(f"[b]Languages[/] {e(', '.join(sorted(member.languages))) or '–'}")
        if member.roles:
            lines.append(f"[b]Roles[/] {e(', '.join(sorted(member.roles)))}")
        joined = member.joined.isoformat() if member.joined else "?"
        active = member.last_active.isoformat() if member.last_active else "?"
        lines.append(f"[b]Joined[/] {joined}   [b]Last active[/] {active}")
        if self.show_private:
            lines.append("[b]Private[/] [dim](p hides)[/]")
            for name in PRIVATE:
                lines.append(f"  {Member.spec(name).label}: {e(str(getattr(member, name) or '–'))}")
        else:
            lines.append("[dim]Private: address, emergency contact, needs, medical — p shows[/]")
        lines.append("")
        lines.append("[b]Skills[/]")
        if not member.skills:
            lines.append("  none recorded")
        for skill, level in sorted(member.skills.items()):
            counted = skill_key(skill) in view.counted_skills
            mark = "" if counted else "  [red](certificate expired: does not count)[/]"
            lines.append(f"  {e(skill)}: {e(choice_label(level) or 'basic')}{mark}")
        lines.append("")
        lines.append(f"[b]Certifications[/] ({len(view.certifications)})  [dim]c adds one[/]")
        for cert in view.certifications:
            when = cert.expires.isoformat() if cert.expires else "never expires"
            state = ""
            if is_expired(cert, view.today):
                state = " [b red]EXPIRED[/]"
            elif cert.expires and (cert.expires - view.today).days <= 60:
                state = " [yellow]expires soon[/]"
            skill = f" — {e(cert.skill)}" if cert.skill else ""
            lines.append(f"  {e(cert.name)}{skill}: {when}{state}")
        lines.append("")
        lines.append(f"[b]Events attended[/] ({len(view.attended)})")
        for event in view.attended[:30]:
            when = event.starts.strftime("%Y-%m-%d") if event.starts else "?"
            lines.append(f"  {when} {e(event.name)} [dim]({choice_label(event.kind)})[/]")
        if len(view.attended) > 30:
            lines.append(f"  [dim]… and {len(view.attended) - 30} earlier[/]")
        if member.notes:
            lines.append("")
            lines.append(f"[b]Notes[/] {e(member.notes)}")
        return lines

    # ---- actions -----------------------------------------------------------------------------

    def action_private(self) -> None:
        self.show_private = not self.show_private
        self._paint()

    def action_edit(self) -> None:
        member = self.data.member if self.data else None
        if member is None:
            return

        def saved(values: dict[str, Any] | None) -> None:
            if values:
                self.write(lambda: self.session.doc.members.update(member.id, **values))

        self.app.push_screen(RecordForm(self.session.doc, Member, member, show_private=self.show_private), saved)

    def action_history(self) -> None:
        from screens.history import open_history

        open_history(self.app, self.session, Member, self.member_id)

    def action_certify(self) -> None:
        def saved(values: dict[str, Any] | None) -> None:
            if values:
                self.write(lambda: self.session.doc.certifications.add(**values))

        form = RecordForm(
            self.session.doc, Certification, defaults={"member_id": self.member_id}, title="New certification"
        )
        self.app.push_screen(form, saved)
