"""Training: courses and their sessions, who holds which certificate and what lapses soon, skills by zone.

Finishing a course (c) records the completion and, for a course that gives a skill, a certificate
that expires when the course says. A lapsed certificate no longer counts as the skill, so the
matrix shows a zone whose only first-aider lapsed as a GAP, and one whose holders all lapse
within 60 days as at risk ("1!").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, ClassVar

from rich.text import Text
from textual import work
from textual.binding import Binding, BindingType
from textual.widgets import DataTable

from magnet.plural import counted
from magnet.readiness import CERT_WARNING_DAYS
from magnet.records import Certification, Course, Event, TrainingRecord
from magnet.skills import SkillsMatrix, group_skills
from magnet.training import Holding, ZoneCoverage, complete_course, coverage, sessions, who_holds
from screens.planning.ask import ask_date, pick_member
from screens.planning.tabs import TabbedPage
from screens.widgets.record_table import Column, RecordTable, field_column

COURSE_FIELDS = ("name", "topic", "skill", "valid_months", "hours", "provider", "partner_id", "description")
CERT_FIELDS = ("name", "member_id", "skill", "issuer", "issued", "expires", "course_id")
SESSION_FIELDS = ("name", "kind", "starts", "ends", "place", "course_id", "organiser_id", "agenda")


@dataclass(frozen=True)
class TrainingData:
    courses: list[Course]
    holdings: list[Holding]
    matrix: SkillsMatrix
    zones: list[ZoneCoverage]
    today: date
    next_session: dict[str, datetime] = field(default_factory=dict)
    done: dict[str, int] = field(default_factory=dict)


def holding_state(holding: Holding) -> Text:
    if holding.expired:
        return Text("lapsed", style="bold white on red")
    if holding.expiring:
        return Text("expiring", style="bold yellow")
    return Text("valid", style="green")


def matrix_cell(matrix: SkillsMatrix, skill: str, zone: str) -> Text:
    if matrix.is_gap(skill, zone):
        return Text("GAP", style="bold white on red")
    found = matrix.holders(skill, zone)
    if not found:
        return Text("·", style="dim")
    if matrix.is_at_risk(skill, zone):
        return Text(f"{len(found)}!", style="bold yellow")
    return Text(str(len(found)), style="green")


class TrainingScreen(TabbedPage[TrainingData]):
    TITLE_TEXT = "Training"
    HELP = (
        "Courses: s schedules a session, c records that a member finished it (and certifies the "
        "skill it gives). Certificates: who holds what, lapsed and expiring first; r renews the "
        "highlighted one. Skills by zone: how many count for each skill in each zone; GAP is a "
        "needed skill nobody there counts for today, 1! means every holder lapses within 60 days."
    )
    TABS = (("courses", "Courses"), ("certs", "Certificates"), ("matrix", "Skills by zone"))
    WATCHES: ClassVar[frozenset[str] | None] = frozenset(
        {"courses", "certifications", "trainings", "events", "members", "households"}
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "add", "Add"),
        Binding("e", "edit", "Edit"),
        Binding("s", "schedule", "Session"),
        Binding("c", "complete", "Completed"),
        Binding("r", "renew", "Renew"),
        Binding("x", "archive", "Archive", show=False),
    ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.data: TrainingData | None = None

    def make_table(self, tab: str) -> Any:
        if tab == "courses":
            return RecordTable(
                [
                    field_column(Course, "name", "Course", width=20),
                    field_column(Course, "skill", "Gives", width=12),
                    Column("valid", "Valid", lambda c: f"{c.valid_months}mo" if c.valid_months else "—", width=5),
                    Column("next", "Next", self._next, lambda c: self._sessions().get(c.id) or datetime.max, width=10),
                    Column("done", "Done", lambda c: str(self._done().get(c.id, 0)), width=4),
                ],
                sort="name",
                haystack=lambda c: f"{c.topic} {c.provider} {c.description}",
                id="courses",
            )
        if tab == "certs":
            return RecordTable(
                [
                    Column("skill", "Skill", lambda h: h.certificate.skill or h.certificate.name, width=14),
                    Column("member", "Member", lambda h: h.member.name, width=18),
                    Column(
                        "expires",
                        "Expires",
                        lambda h: h.certificate.expires.isoformat() if h.certificate.expires else "never",
                        lambda h: h.certificate.expires or date.max,
                        width=10,
                    ),
                    Column("state", "State", holding_state, width=9),
                ],
                key=lambda h: h.certificate.id,
                is_archived=None,
                sort="expires",
                search_terms={"zone": lambda h, v: h.member.zone.lower() == v},
                id="certs",
            )
        return DataTable(id="matrix", zebra_stripes=True, cursor_type="cell")

    def _sessions(self) -> dict[str, datetime]:
        return self.data.next_session if self.data else {}

    def _done(self) -> dict[str, int]:
        return self.data.done if self.data else {}

    def _next(self, course: Course) -> str:
        when = self._sessions().get(course.id)
        return when.strftime("%d %b %y") if when else ""

    # ---- data --------------------------------------------------------------------------------

    def load(self) -> TrainingData:
        doc = self.session.doc
        now = self.session.now()
        today = now.date()
        courses = doc.courses.all(include_archived=True)
        events = doc.events.all()
        trainings: list[TrainingRecord] = doc.trainings.all()
        next_session: dict[str, datetime] = {}
        for course in courses:
            ahead = [e.starts for e in sessions(course, events) if e.starts and e.starts >= now and not e.cancelled]
            if ahead:
                next_session[course.id] = ahead[0]
        done: dict[str, int] = {}
        for record in trainings:
            done[record.course_id] = done.get(record.course_id, 0) + 1
        holdings = [h for s in who_holds(doc.certifications.all(), doc.members.all(), today=today) for h in s.holdings]
        matrix = group_skills(doc, today=today)
        return TrainingData(courses, holdings, matrix, coverage(matrix), today, next_session, done)

    def show(self, data: TrainingData) -> None:
        self.data = data
        lapsed = sum(1 for h in data.holdings if h.expired)
        expiring = sum(1 for h in data.holdings if h.expiring)
        gaps = sum(len(z.gaps) for z in data.zones)
        risky = sum(len(z.at_risk) for z in data.zones)
        notes = {
            "courses": "s schedules a session · c records a completion",
            "certs": f"[b red]{lapsed} lapsed[/] · [b yellow]{expiring} expiring within {CERT_WARNING_DAYS} days[/]"
            + " · r renews",
            "matrix": f"[b red]{counted(gaps, 'gap')}[/] · [b yellow]{risky} at risk[/] in "
            f"{counted(len(data.zones), 'zone')}" + " · GAP: nobody today · 1!: lapsing",
        }
        self._fill_matrix(data.matrix)
        self.counts["matrix"] = gaps  # before fill(), which draws the tab headline
        self.fill({"courses": data.courses, "certs": data.holdings}, notes[self.tab])

    def _fill_matrix(self, matrix: SkillsMatrix) -> None:
        table = self.query_one("#matrix", DataTable)
        table.clear(columns=True)
        table.add_column("Skill", key="skill", width=18)
        for zone in matrix.zones:
            table.add_column(zone[:6], key=f"zone:{zone}", width=6)
        skills = sorted(matrix.skills, key=lambda s: (s not in matrix.needed, s))
        for skill in skills:
            label = Text(skill + (" *" if skill in matrix.needed else ""), no_wrap=True, overflow="ellipsis")
            table.add_row(label, *(matrix_cell(matrix, skill, zone) for zone in matrix.zones), key=skill)

    def show_tab(self, tab: str) -> None:
        super().show_tab(tab)
        if self.data is not None:
            self.show(self.data)

    # ---- actions -----------------------------------------------------------------------------

    def action_add(self) -> None:
        if self.tab == "courses":
            self.open_form(Course, fields=COURSE_FIELDS, then=self.select_later)
        else:
            self.open_form(Certification, fields=CERT_FIELDS, defaults={"issued": self.session.now().date()})

    def action_edit(self) -> None:
        row = self.current
        if isinstance(row, Course):
            self.open_form(Course, row, fields=COURSE_FIELDS)
        elif isinstance(row, Holding):
            self.open_form(Certification, row.certificate, fields=CERT_FIELDS)

    def action_archive(self) -> None:
        row = self.current
        if isinstance(row, Course):
            self.confirm_archive(row)
        elif isinstance(row, Holding):
            self.confirm_archive(row.certificate)

    def on_record_table_chosen(self, event: RecordTable.Chosen) -> None:
        event.stop()
        row = event.row
        if isinstance(row, Course):
            self.open_detail(row, fields=COURSE_FIELDS)
        elif isinstance(row, Holding):
            self.open_detail(row.certificate, fields=CERT_FIELDS)

    def action_schedule(self) -> None:
        course = self.current
        if not isinstance(course, Course):
            self.notify("Pick a course first")
            return
        starts = self.session.now().replace(hour=10, minute=0, second=0)
        self.open_form(
            Event,
            fields=SESSION_FIELDS,
            defaults={"name": course.name, "kind": "training", "course_id": course.id, "starts": starts},
            title=f"New session of {course.name}",
        )

    @work(exclusive=True, group="training-ask")
    async def action_complete(self) -> None:
        course = self.current
        if not isinstance(course, Course):
            self.notify("Pick a course first")
            return
        member_id = await pick_member(self.app, self.session.doc, f"Who finished {course.name}?")
        if not member_id:
            return
        doc = self.session.doc
        today = self.session.now().date()

        def said(result: tuple[TrainingRecord, Certification | None]) -> None:
            certificate = result[1]
            until = f" until {certificate.expires.isoformat()}" if certificate and certificate.expires else ""
            what = f"; certified in {certificate.skill}{until}" if certificate else ""
            self.notify(f"Completion recorded{what}", title="Training")

        self.write(lambda: complete_course(doc, member_id, course.id, on=today), said)

    @work(exclusive=True, group="training-ask")
    async def action_renew(self) -> None:
        holding = self.current
        if not isinstance(holding, Holding):
            self.notify("Pick a certificate (t) first")
            return
        cert = holding.certificate
        answer = await ask_date(self.app, f"{holding.member.name}: {cert.name} renewed today; new expiry?")
        if answer is None:
            return
        doc = self.session.doc
        today = self.session.now().date()
        self.write(
            lambda: doc.certifications.add(
                name=cert.name,
                member_id=cert.member_id,
                skill=cert.skill,
                issuer=cert.issuer,
                issued=today,
                expires=answer.value,
                course_id=cert.course_id,
            )
        )
