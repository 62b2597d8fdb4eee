"""Realistic sample groups: a neighborhood to explore (`demo`) and a year of records for benchmarks.

Deterministic for a given seed, so tests and benchmarks see the same group every run.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, TypeVar

from magnet.document import GroupDocument
from magnet.home import Home, OpenGroup

T = TypeVar("T")

FIRST = [
    "Ana",
    "Ben",
    "Carla",
    "Dev",
    "Elena",
    "Farid",
    "Grace",
    "Hiro",
    "Imani",
    "Jonas",
    "Kai",
    "Lena",
    "Marco",
    "Nia",
    "Omar",
    "Priya",
    "Quinn",
    "Rosa",
    "Sam",
    "Tariq",
    "Uma",
    "Victor",
    "Wen",
    "Ximena",
    "Yusuf",
    "Zoe",
    "Aaron",
    "Bea",
    "Chidi",
    "Dana",
    "Emil",
    "Fatima",
    "Gus",
    "Hana",
    "Ivan",
    "Jia",
    "Kofi",
    "Lucia",
    "Mateo",
    "Noor",
    "Olga",
    "Pablo",
    "Rahel",
    "Sofia",
    "Tom",
    "Ursula",
    "Vera",
    "Will",
    "Yara",
    "Zane",
]
LAST = [
    "Alvarez",
    "Brooks",
    "Chen",
    "Diallo",
    "Evans",
    "Fischer",
    "Garcia",
    "Haddad",
    "Ito",
    "Johnson",
    "Kowalski",
    "Lopez",
    "Mensah",
    "Nguyen",
    "Okafor",
    "Patel",
    "Quispe",
    "Rossi",
    "Santos",
    "Tanaka",
    "Ueda",
    "Vargas",
    "Wagner",
    "Xu",
    "Yilmaz",
    "Zimmer",
    "Baker",
    "Cohen",
    "Duarte",
    "Eriksen",
    "Abebe",
    "Adeyemi",
    "Andersen",
    "Bauer",
    "Bianchi",
    "Costa",
    "Dubois",
    "Dvorak",
    "Eze",
    "Ferreira",
    "Gallagher",
    "Greene",
    "Hansen",
    "Hernandez",
    "Ibrahim",
    "Jensen",
    "Kaur",
    "Kim",
    "Larsen",
    "Lindqvist",
    "Mahmoud",
    "Martin",
    "Moreau",
    "Murphy",
    "Nakamura",
    "Novak",
    "O'Brien",
    "Okoro",
    "Park",
    "Petrov",
    "Quinn",
    "Reyes",
    "Schmidt",
    "Silva",
    "Singh",
    "Sokolov",
    "Torres",
    "Walsh",
    "Weber",
    "Yamamoto",
    "Yusuf",
    "Zhang",
]
STREETS = ["Maple St", "Elm St", "Cedar Ave", "Birch Rd", "Oak Ln", "Willow Way", "Pine Ct", "Aspen Dr"]
ZONES = ["A", "B", "C", "D", "E", "F"]
SKILLS = [
    "first aid",
    "cpr",
    "nursing",
    "radio",
    "cooking",
    "carpentry",
    "electrical",
    "plumbing",
    "childcare",
    "elder care",
    "gardening",
    "chainsaw",
    "driving",
    "translation",
    "counseling",
    "search and rescue",
    "generator repair",
    "water purification",
    "mechanic",
    "it support",
]
LANGUAGES = ["en", "es", "zh", "vi", "ar", "fr", "tl", "ko", "ru", "pt"]
LEVELS = ["core_team"] * 2 + ["active_member"] * 10 + ["volunteer"] * 6 + ["advisory"]
# (name, category, unit, person-days per unit, most a neighborhood cache would hold)
ITEMS = [
    ("Drinking water", "water", "gallon", 1.0, 200),
    ("Water filter", "water", "unit", 0, 6),
    ("Canned beans", "food", "can", 0.5, 120),
    ("Rice", "food", "kg", 3.0, 60),
    ("Emergency ration bars", "food", "pack", 3.0, 80),
    ("First aid kit", "medical", "kit", 0, 12),
    ("Trauma bandages", "medical", "box", 0, 20),
    ("Generator 2kW", "power", "unit", 0, 2),
    ("AA batteries", "power", "pack", 0, 40),
    ("Solar panel 100W", "power", "unit", 0, 4),
    ("FRS/GMRS radio", "communications", "radio", 0, 12),
    ("Chainsaw", "tools", "unit", 0, 2),
    ("Tarp 10x12", "shelter", "unit", 0, 30),
    ("Sleeping bag", "shelter", "unit", 0, 25),
    ("Camp stove", "cooking", "unit", 0, 6),
    ("Propane canister", "cooking", "canister", 0, 40),
    ("Headlamp", "lighting", "unit", 0, 30),
    ("Hygiene kit", "sanitation", "kit", 0, 40),
    ("Shovel", "tools", "unit", 0, 10),
    ("Ladder", "tools", "unit", 0, 3),
]
STORES = [
    "Community hall closet",
    "Garage at 12 Maple",
    "Church basement",
    "Shed, Oak Ln",
    "Fire station 12 store",
    "School gym cage",
    "Basement at 40 Elm",
    "Library room B cupboard",
]
PLACES = [
    "Community hall",
    "St. Mark's church hall",
    "Library room B",
    "Maple St park",
    "Fire station 12",
    "School gym",
]
EVENT_TITLES = {
    "meeting": ["Monthly meeting", "Core team meeting", "Planning session", "Block captains huddle"],
    "training": [
        "First aid basics",
        "CPR refresher",
        "Radio net practice",
        "Water purification workshop",
        "Fire extinguisher training",
    ],
    "drill": ["Shelter-in-place drill", "Evacuation drill", "Comms blackout drill", "Welfare check drill"],
    "social": ["Potluck", "Block party", "Game night", "Garden day"],
    "clean_up": ["Creek clean-up", "Park clean-up", "Storm drain clearing"],
}
PARTNERS = [
    ("Corner Hardware", "business", "discounts on tools, generator fuel"),
    ("City Office of Emergency Management", "agency", "CERT training, maps"),
    ("Red Cross chapter", "non_profit", "first aid courses, shelter supplies"),
    ("Greenway Grocery", "business", "food donations"),
    ("Fire Station 12", "agency", "drills, inspections"),
    ("Food Bank", "non_profit", "food boxes"),
    ("Ham Radio Club", "other", "radio training, relay"),
    ("Riverside Clinic", "business", "health checks"),
    ("Library", "agency", "meeting rooms, printing"),
    ("Mosque community center", "non_profit", "shelter space, meals"),
]
GOALS = [
    ("Every household has 2 weeks of water", "households ready", 100),
    ("Train 20 members in first aid", "members trained", 20),
    ("Map every resident's special needs", "households surveyed", 120),
    ("Set up a radio net", "radios on net", 12),
    ("Monthly socials all year", "socials held", 12),
    ("Stock a community pantry", "days of food", 30),
    ("Neighborhood watch on every block", "blocks covered", 6),
    ("Generator for the rally point", "generators", 1),
]
COURSES = [
    ("First aid", "first_aid", "first aid", 24),
    ("CPR/AED", "first_aid", "cpr", 24),
    ("CERT basic", "disaster_response", "search and rescue", 36),
    ("Ham radio technician", "communications", "radio", 120),
    ("Rainwater harvesting", "sustainable_living", "water purification", 0),
    ("Fire safety", "fire_safety", "fire safety", 36),
]


@dataclass(frozen=True)
class SampleSize:
    members: int
    households: int
    items: int
    events: int
    goals: int
    edits: int  # small separate commits, as a year of real use makes


SIZES = {
    "demo": SampleSize(members=240, households=95, items=160, events=60, goals=10, edits=0),
    "year": SampleSize(members=500, households=200, items=2000, events=1000, goals=200, edits=20_000),
}


def create_demo_group(
    home: Home, *, name: str = "Sample Street MAG", size: str = "demo", seed: int = 7, today: date | None = None
) -> OpenGroup:
    """A new group in `home`, filled with sample records (dated around `today`, default the real one)."""
    existing = {g.name.lower() for g in home.groups()}
    final = name
    counter = 2
    while final.lower() in existing:
        final = f"{name} {counter}"
        counter += 1
    group = home.create_group(final)
    group.doc.update_profile(
        area="Maple St to Aspen Dr, blocks A-F",
        meeting_place="Community hall, 12 Maple St",
        mission="Neighbors ready to help each other through storms, outages and everyday needs.",
    )
    group.doc.put_rally_point(
        name="Maple St park", place="North lawn by the flagpole", notes="Primary rally point", order=1
    )
    group.doc.put_rally_point(
        name="St. Mark's church lot", place="Cedar Ave & 5th", notes="If the park floods", order=2
    )
    populate(group.doc, SIZES[size], seed=seed, today=today)
    return group


def _pick(rng: random.Random, items: Sequence[T]) -> T:
    return items[rng.randrange(len(items))]


def populate(doc: GroupDocument, size: SampleSize, *, seed: int = 7, today: date | None = None) -> None:
    """Fill `doc` with records; bulk parts in one commit per collection, `edits` as separate commits."""
    rng = random.Random(seed)
    today = today or date.today()
    surnames = [_pick(rng, LAST) for _ in range(size.households)]
    named: set[str] = set()
    household_rows: list[dict[str, Any]] = []
    for index, surname in enumerate(surnames):
        address = f"{rng.randint(1, 400)} {_pick(rng, STREETS)}"
        on_roster = len(range(index, size.members, size.households))  # member i lives in household i % H
        # Two Alvarez households are told apart the way neighbors do: by the house.
        name = f"{surname} household" if surname not in named else f"{surname}, {address}"
        named.add(surname)
        household_rows.append(
            {
                "name": name,
                "address": address,
                "zone": _pick(rng, ZONES),
                "people": on_roster + rng.choice([0, 0, 1, 2]),  # children and elders not on the roster
                "pets": _pick(rng, ["", "", "dog", "cat", "2 cats"]),
                "special_needs": _pick(rng, [""] * 8 + ["wheelchair user", "oxygen at home"]),
            }
        )
    households = doc.households.add_many(household_rows)
    member_rows: list[dict[str, Any]] = []
    for i in range(size.members):
        household = households[i % len(households)] if households else None
        first, last = _pick(rng, FIRST), _pick(rng, LAST)
        if household is not None and rng.random() < 0.85:  # most of a household share its name
            last = surnames[i % len(households)]
        skills = {
            s: _pick(rng, ["basic", "trained", "certified", "expert"]) for s in rng.sample(SKILLS, rng.randint(0, 3))
        }
        member_rows.append(
            {
                "name": f"{first} {last}",
                "household_id": household.id if household else "",
                "address": household.address if household else "",
                "zone": household.zone if household else _pick(rng, ZONES),
                "phones": {"mobile": f"555-{rng.randint(100, 999)}-{rng.randint(1000, 9999)}"},
                "email": f"{first.lower()}.{last.lower()}{i}@example.org",
                "callsign": f"K{rng.randint(0, 9)}{''.join(rng.choice('ABCDEFGHJKLMNPQRSTUVWXYZ') for _ in range(3))}"
                if rng.random() < 0.1
                else "",
                "languages": frozenset(rng.sample(LANGUAGES, rng.randint(1, 2))),
                "level": _pick(rng, LEVELS),
                "joined": today - timedelta(days=rng.randint(0, 700)),
                "skills": skills,
                "consent_share": rng.random() < 0.8,
                "emergency_contact": f"{_pick(rng, FIRST)} {last} 555-{rng.randint(1000, 9999)}",
                "medical_notes": _pick(rng, [""] * 9 + ["diabetic", "asthma"]),
                "last_active": today - timedelta(days=rng.randint(0, 200)),
            }
        )
    members = doc.members.add_many(member_rows)
    member_ids = [m.id for m in members]
    doc.roles.add_many(
        [
            {
                "name": "Core team",
                "kind": "level",
                "responsibilities": "Organise meetings, keep the roster, lead in a crisis",
            },
            {
                "name": "Active member",
                "kind": "level",
                "responsibilities": "Attend meetings, keep own kit ready, check on neighbors",
            },
            {"name": "Volunteer", "kind": "level", "responsibilities": "Help at events and in a crisis when able"},
            {
                "name": "Advisory",
                "kind": "level",
                "responsibilities": "Advise on medical, legal or technical questions",
            },
            {
                "name": "Block captain",
                "kind": "role",
                "responsibilities": "Welfare sweep of one block after an incident",
            },
            {"name": "Radio operator", "kind": "role", "responsibilities": "Run the radio net when phones are down"},
        ]
    )
    partners = doc.partners.add_many(
        [
            {
                "name": name,
                "kind": kind,
                "offers": offers,
                "contact_name": f"{_pick(rng, FIRST)} {_pick(rng, LAST)}",
                "phone": f"555-{rng.randint(1000, 9999)}",
                "last_contact": today - timedelta(days=rng.randint(5, 200)),
                "follow_up": today + timedelta(days=rng.randint(-20, 60)),
            }
            for name, kind, offers in PARTNERS
        ]
    )
    courses = doc.courses.add_many(
        [
            {
                "name": name,
                "topic": topic,
                "skill": skill,
                "valid_months": months,
                "hours": rng.randint(2, 16),
                "partner_id": _pick(rng, partners).id,
            }
            for name, topic, skill, months in COURSES
        ]
    )
    # Each kind of item kept at a few stores; only a group bigger than every pairing repeats one.
    stocked = [(item, store) for item in ITEMS for store in STORES]
    rng.shuffle(stocked)
    doc.inventory.add_many(
        [
            {
                "name": (item := stocked[i % len(stocked)][0])[0]
                + ("" if i < len(stocked) else f" #{i // len(stocked) + 1}"),
                "category": item[1],
                "unit": item[2],
                "days_per_unit": item[3],
                "quantity": rng.randint(0, item[4]),
                "minimum": rng.choice([0, 0, item[4] // 4, item[4] // 2]),
                "location": stocked[i % len(stocked)][1],
                "holder_id": _pick(rng, member_ids) if rng.random() < 0.3 else "",
                "condition": _pick(rng, ["new", "good", "good", "fair"]),
                "expires": today + timedelta(days=rng.randint(-30, 900))
                if item[1] in ("food", "water", "medical")
                else None,
            }
            for i in range(size.items)
        ]
    )
    first_day = today - timedelta(days=180)
    event_rows: list[dict[str, Any]] = []
    for i in range(size.events):
        kind = _pick(rng, ["meeting", "meeting", "training", "drill", "social", "clean_up"])
        day = first_day + timedelta(days=int(i * 365 / max(size.events, 1)))
        when = datetime.combine(day, time(rng.choice([10, 14, 18, 19])))  # at an hour people come
        attendees = rng.sample(member_ids, min(len(member_ids), rng.randint(5, 30)))
        past = when.date() < today
        event_rows.append(
            {
                "name": _pick(rng, EVENT_TITLES[kind]),
                "kind": kind,
                "starts": when,
                "ends": when + timedelta(hours=2),
                "place": _pick(rng, PLACES),
                "agenda": "Welcome; updates; the season's risks; next steps",
                "rsvps": {m: _pick(rng, ["yes", "yes", "maybe", "no"]) for m in attendees},
                "attendance": frozenset(m for m in attendees if rng.random() < 0.7) if past else frozenset(),
                "minutes": "Reviewed the PACE plan; three new members joined." if past and kind == "meeting" else "",
                "course_id": _pick(rng, courses).id if kind == "training" else "",
            }
        )
    events = doc.events.add_many(event_rows)
    doc.goals.add_many(
        [
            {
                "name": GOALS[i % len(GOALS)][0] + ("" if i < len(GOALS) else f" ({i // len(GOALS) + 1})"),
                "measure": GOALS[i % len(GOALS)][1],
                "target": GOALS[i % len(GOALS)][2],
                "current": rng.randint(0, GOALS[i % len(GOALS)][2]),
                "owner_id": _pick(rng, member_ids),
                "target_date": today + timedelta(days=rng.randint(-30, 300)),
                "status": _pick(rng, ["active", "active", "planned", "done"]),
                "milestones": {
                    f"m{j}": {"title": f"Step {j + 1}", "due": today + timedelta(days=30 * j - 60), "done": j < 2}
                    for j in range(3)
                },
            }
            for i in range(size.goals)
        ]
    )
    doc.channels.add_many(
        [
            {
                "name": "Group chat",
                "tier": "primary",
                "details": "Signal group 'Maple MAG'",
                "trigger": "Cell data down for 30 minutes",
            },
            {
                "name": "Phone tree",
                "tier": "alternate",
                "details": "Voice calls by the call tree",
                "trigger": "No cell service",
            },
            {
                "name": "GMRS radio net",
                "tier": "contingency",
                "radio_channel": "GMRS 20",
                "frequency": "462.675 MHz",
                "schedule": "On the hour, 10 minutes",
                "trigger": "Phones down",
            },
            {
                "name": "Rally point",
                "tier": "emergency",
                "place": "Maple St park, north lawn",
                "schedule": "9:00 and 17:00 daily",
                "trigger": "No radio contact for 2 hours",
            },
        ]
    )
    doc.announcements.add_many(
        [
            {
                "name": "Storm season prep night",
                "body": "Bring your go-bag list; we'll check radios.",
                "urgency": "important",
                "posted_at": datetime.combine(today, datetime.min.time()),
                "pinned": True,
            },
            {
                "name": "Potluck this Saturday",
                "body": "Community hall, 6pm.",
                "urgency": "info",
                "posted_at": datetime.combine(today, datetime.min.time()),
            },
        ]
    )
    trained = rng.sample(member_ids, min(len(member_ids), 40))
    doc.trainings.add_many(
        [
            {
                "member_id": m,
                "course_id": _pick(rng, courses).id,
                "completed": today - timedelta(days=rng.randint(0, 800)),
            }
            for m in trained
        ]
    )
    doc.certifications.add_many(
        [
            {
                "name": f"{course.name} certificate",
                "member_id": m,
                "skill": course.skill,
                "issuer": "Red Cross chapter",
                "issued": (issued := today - timedelta(days=rng.randint(30, 900))),
                "expires": issued + timedelta(days=30 * max(course.valid_months, 12)),
            }
            for m in trained[:25]
            for course in [_pick(rng, courses)]
        ]
    )
    survey = doc.surveys.add(
        name="Neighborhood needs survey",
        purpose="What matters most to us in an emergency?",
        opened=today - timedelta(days=90),
    )
    questions = [
        ("Do you have 2 weeks of water stored?", "yes_no", "", "water"),
        ("Does anyone in your home need help evacuating?", "yes_no", "", "emergency_response"),
        ("Which worries you most?", "choice", "food, power, medical care, being alone, communication", "other"),
        ("How prepared do you feel (1-5)?", "scale", "1,2,3,4,5", "emergency_response"),
    ]
    qids = [
        doc.surveys.put_entry(survey.id, "questions", text=q, kind=k, options=o, category=c, order=n)
        for n, (q, k, o, c) in enumerate(questions)
    ]
    doc.responses.add_many(
        [
            {
                "survey_id": survey.id,
                "member_id": m,
                "answers": {
                    qids[0]: _pick(rng, ["yes", "no", "no"]),
                    qids[1]: _pick(rng, ["no", "no", "yes"]),
                    qids[2]: _pick(rng, ["food", "power", "medical care", "being alone", "communication"]),
                    qids[3]: str(rng.randint(1, 5)),
                },
                "recorded_at": datetime.combine(today - timedelta(days=rng.randint(1, 80)), datetime.min.time()),
            }
            for m in rng.sample(member_ids, min(len(member_ids), 60))
        ]
    )
    doc.needs.add_many(
        [
            {"name": "Water storage", "category": "water", "priority": "high", "survey_id": survey.id, "mentions": 31},
            {
                "name": "Checks on isolated elders",
                "category": "isolation",
                "priority": "high",
                "survey_id": survey.id,
                "mentions": 18,
            },
            {
                "name": "Backup power for medical devices",
                "category": "health",
                "priority": "critical",
                "survey_id": survey.id,
                "mentions": 7,
            },
        ]
    )
    doc.exchanges.add_many(
        [
            {
                "name": "Ride to the clinic on Tuesdays",
                "kind": "request",
                "member_id": _pick(rng, member_ids),
                "category": "transport",
                "posted_at": datetime.combine(today, datetime.min.time()),
            },
            {
                "name": "Can drive on weekday mornings",
                "kind": "offer",
                "member_id": _pick(rng, member_ids),
                "category": "transport",
                "posted_at": datetime.combine(today, datetime.min.time()),
            },
            {
                "name": "Spare camp stove to lend",
                "kind": "offer",
                "member_id": _pick(rng, member_ids),
                "category": "cooking",
            },
        ]
    )
    past_events = [e for e in events if e.starts and e.starts.date() < today]
    doc.feedback.add_many(
        [
            {
                "event_id": e.id,
                "member_id": _pick(rng, member_ids),
                "rating": rng.randint(3, 5),
                "comment": _pick(rng, ["Useful!", "Too long", "Loved the hands-on part", "More of these please"]),
                "given_at": e.starts,
            }
            for e in past_events[: max(1, len(past_events) // 3)]
        ]
    )
    # A drill a few hours ago: always in the past, so a check-in made now is the latest.
    drill = (
        datetime.now().replace(microsecond=0) if today == date.today() else datetime.combine(today, datetime.min.time())
    )
    doc.checkins.add_many(
        [
            {
                "member_id": m,
                "status": _pick(rng, ["safe", "safe", "safe", "needs_help"]),
                "at": drill - timedelta(minutes=rng.randint(30, 600)),
                "note": "Drill check-in",
            }
            for m in rng.sample(member_ids, min(len(member_ids), 25))
        ]
    )
    _make_edits(doc, rng, size.edits, member_ids)


def _make_edits(doc: GroupDocument, rng: random.Random, count: int, member_ids: list[str]) -> None:
    """Small edits, each its own commit, the way a year of real use accrues history."""
    items = [i.id for i in doc.inventory.all()]
    if not count or not items:
        return
    for n in range(count):
        roll = n % 4
        if roll == 0:
            doc.inventory.adjust(_pick(rng, items), "quantity", rng.choice([1, 2, 5]))
        elif roll == 1:
            doc.members.update(_pick(rng, member_ids), notes=f"note {n}")
        elif roll == 2:
            doc.inventory.update(
                _pick(rng, items), location=_pick(rng, ["Hall closet", "Garage", "Basement", f"Shelf {n % 40}"])
            )
        else:
            doc.members.update(_pick(rng, member_ids), last_active=date(2026, 1, 1) + timedelta(days=n % 300))
