"""Members, households, membership roles and the devices that speak for members."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from magnet.fields import choice, date_field, flag, integer, mapping, moment, ref, tags, text
from magnet.kinds import Kind, Sheet
from magnet.record import Record


class MembershipLevel(StrEnum):
    """The article's levels of involvement; a group may add its own."""

    CORE_TEAM = "core_team"
    ACTIVE_MEMBER = "active_member"
    VOLUNTEER = "volunteer"
    ADVISORY = "advisory"


class MemberStatus(StrEnum):
    ACTIVE = "active"
    INACTIVE = "inactive"
    AWAY = "away"
    LEFT = "left"


class SkillLevel(StrEnum):
    BASIC = "basic"
    TRAINED = "trained"
    CERTIFIED = "certified"
    EXPERT = "expert"


@dataclass(frozen=True, kw_only=True)
class Member(Record):
    KIND = Kind(
        "members",
        noun="member",
        sheet=Sheet(
            columns=(
                "name",
                "household_id",
                "zone",
                "phones",
                "email",
                "other_emails",
                "callsign",
                "languages",
                "level",
                "roles",
                "organisation",
                "joined",
                "status",
                "skills",
                "consent_share",
                "address",
                "emergency_contact",
                "special_needs",
                "medical_notes",
                "notes",
            ),
            aliases={
                "address": (
                    "address 1",
                    "address 2",
                    "apt",
                    "apartment",
                    "unit",
                    "city",
                    "town",
                    "zip",
                    "zip code",
                    "postcode",
                    "post code",
                    "postal code",
                    "state",
                ),
                "emergency_contact": (
                    "emergency contact name",
                    "emergency contact phone",
                    "emergency phone",
                    "ice phone",
                ),
                "callsign": ("ham call sign", "amateur radio callsign"),
                "consent_share": (
                    "shares contact details",
                    "share contact details",
                    "consent to share",
                    "share details",
                ),
                "languages": ("spoken languages",),
                "phones": ("cellphone", "landline", "whatsapp", "sms", "phone numbers"),
                "name.given": ("first name", "firstname", "first", "given name", "forename"),
                "name.middle": ("middle name", "additional name"),
                "name.family": ("last name", "lastname", "last", "surname", "family name"),
                "organisation": ("organization name", "organization title", "organization department"),
            },
            words={
                "de": {
                    "name": ("vollständiger name",),
                    "name.given": ("vorname",),
                    "name.middle": ("zweiter vorname",),
                    "name.family": ("nachname", "familienname"),
                    "household_id": ("haushalt",),
                    "address": ("adresse", "anschrift", "straße", "hausnummer", "ort", "stadt", "plz", "postleitzahl"),
                    "zone": ("bezirk", "viertel"),
                    "phones": ("telefon", "telefonnummer", "handy", "mobil", "mobiltelefon", "festnetz"),
                    "email": ("e-mail-adresse", "mail adresse"),
                    "languages": ("sprache", "sprachen"),
                    "roles": ("rolle", "rollen", "aufgabe"),
                    "organisation": ("firma", "unternehmen", "arbeitgeber"),
                    "joined": ("mitglied seit", "eintrittsdatum", "beitritt"),
                    "skills": ("fähigkeiten", "kenntnisse"),
                    "emergency_contact": ("notfallkontakt",),
                    "medical_notes": ("medizinisches", "allergien", "gesundheit"),
                    "notes": ("notizen", "bemerkungen", "anmerkungen"),
                    "callsign": ("rufzeichen",),
                },
                "es": {
                    "name": ("nombre", "nombre completo", "nombre y apellidos"),
                    "name.given": ("nombre de pila",),
                    "name.middle": ("segundo nombre",),
                    "name.family": ("apellido", "apellidos", "primer apellido", "segundo apellido"),
                    "household_id": ("hogar",),
                    "address": ("dirección", "domicilio", "calle", "ciudad", "localidad", "provincia", "código postal"),
                    "zone": ("zona", "barrio", "manzana", "sector"),
                    "phones": ("teléfono", "móvil", "celular", "fijo"),
                    "email": ("correo", "correo electrónico"),
                    "languages": ("idioma", "idiomas", "lenguas"),
                    "roles": ("rol", "función"),
                    "organisation": ("empresa", "organización"),
                    "joined": ("miembro desde", "fecha de alta"),
                    "status": ("estado",),
                    "skills": ("habilidades", "competencias"),
                    "emergency_contact": ("contacto de emergencia",),
                    "medical_notes": ("alergias", "salud", "información médica"),
                    "notes": ("notas", "observaciones", "comentarios"),
                    "callsign": ("indicativo",),
                },
                "fr": {
                    "name": ("nom", "nom complet", "nom et prénom"),
                    "name.given": ("prénom",),
                    "name.middle": ("deuxième prénom", "second prénom"),
                    "name.family": ("nom de famille",),
                    "household_id": ("foyer",),
                    "address": ("adresse", "rue", "ville", "code postal", "cp"),
                    "zone": ("quartier", "secteur", "îlot"),
                    "phones": ("téléphone", "tél", "portable", "fixe"),
                    "email": ("courriel", "adresse e-mail", "adresse électronique", "mél"),
                    "languages": ("langue", "langues"),
                    "roles": ("rôle", "rôles", "fonction"),
                    "organisation": ("entreprise", "société", "employeur"),
                    "joined": ("membre depuis", "date d'adhésion"),
                    "status": ("statut",),
                    "skills": ("compétences",),
                    "emergency_contact": ("contact d'urgence", "personne à prévenir"),
                    "medical_notes": ("santé", "informations médicales"),
                    "notes": ("remarques", "commentaires"),
                    "callsign": ("indicatif",),
                },
                "pt": {
                    "name": ("nome", "nome completo"),
                    "name.given": ("primeiro nome", "nome próprio"),
                    "name.middle": ("nome do meio",),
                    "name.family": ("sobrenome", "apelido", "último nome"),
                    "household_id": ("agregado", "agregado familiar"),
                    "address": ("endereço", "morada", "rua", "cidade", "cep"),
                    "zone": ("zona", "bairro", "quarteirão"),
                    "phones": ("telefone", "telemóvel", "celular"),
                    "email": ("correio eletrônico", "correio eletrónico"),
                    "languages": ("língua", "línguas", "idiomas"),
                    "roles": ("papel", "função"),
                    "organisation": ("empresa", "organização"),
                    "joined": ("membro desde", "data de adesão"),
                    "status": ("situação",),
                    "skills": ("habilidades", "competências"),
                    "emergency_contact": ("contato de emergência", "contacto de emergência"),
                    "medical_notes": ("alergias", "saúde"),
                    "notes": ("notas", "observações", "comentários"),
                },
            },
            parts={"name": ("name.given", "name.middle", "name.family")},
            labelled={
                "phones": (
                    "phone",
                    "phones",
                    "telephone",
                    "tel",
                    "number",
                    "numbers",
                    "no",
                    "num",
                    "nr",
                    "nbr",
                    "telefon",
                    "telefonnummer",
                    "nummer",
                    "teléfono",
                    "número",
                    "téléphone",
                    "tél",
                    "numéro",
                    "telefone",
                ),
                "other_emails": ("email", "emails", "e-mail", "mail", "address", "adresse", "correo", "courriel"),
            },
            claims={
                "emergency_contact": ("emergency", "ice", "notfall", "emergencia", "urgence", "urgencia", "emergência")
            },
            spill={"email": "other_emails"},
            ignored=(
                "anniversary",
                "birthday",
                "gender",
                "sex",
                "priority",
                "sensitivity",
                "private",
                "mileage",
                "billing information",
                "directory server",
                "internet free busy",
                "photo",
                "labels",
                "group membership",
                "categories",
                "keywords",
                "file as",
                "initials",
                "name prefix",
                "name suffix",
                "suffix",
                "yomi name",
                "given name yomi",
                "additional name yomi",
                "family name yomi",
                "phonetic first name",
                "phonetic middle name",
                "phonetic last name",
                "short name",
                "maiden name",
                "web page",
                "website",
                "spouse",
                "children",
                "manager's name",
                "assistant's name",
                "referred by",
                "account",
                "government id number",
                "organizational id number",
                "hobby",
                "subject",
                "geburtstag",
                "jahrestag",
                "geschlecht",
                "cumpleaños",
                "fecha de nacimiento",
                "género",
                "sexo",
                "anniversaire",
                "date de naissance",
                "sexe",
                "aniversário",
                "data de nascimento",
                "gênero",
            ),
            same=("phones", "email", "other_emails"),
            joined={"address": ", ", "emergency_contact": "; ", "organisation": ", "},
            refs={"household_id": "household"},
            rank=0,
        ),
    )

    name: str = text(
        "Name", required=True, aliases=("full name", "member", "person", "member name", "first and last name")
    )
    household_id: str = ref("Household", "households", aliases=("household",))
    address: str = text("Address", sensitive=True, aliases=("street address", "home address", "street"))
    zone: str = text("Zone / block", aliases=("block", "zone", "area", "zone/block", "neighborhood", "street block"))
    phones: dict[str, str] = mapping("Phones", aliases=("phone", "mobile", "cell", "phone number", "telephone", "tel"))
    email: str = text("Email", aliases=("e-mail", "email address", "mail"))
    # Addresses beyond the first (a contacts export often has two or three), labelled as phones are.
    other_emails: dict[str, str] = mapping("Other emails", aliases=("more emails", "other email addresses"))
    callsign: str = text("Radio callsign", aliases=("call sign", "callsign", "ham callsign", "radio"))
    languages: frozenset[str] = tags("Languages", aliases=("language", "languages spoken", "speaks"))
    level: str = choice(
        "Membership level",
        MembershipLevel,
        default="active_member",
        open_choice=True,
        aliases=("membership", "membership level", "tier"),
    )
    roles: frozenset[str] = tags("Roles", aliases=("role", "position", "job"))
    organisation: str = text(
        "Organisation", aliases=("organization", "company", "employer", "workplace", "job title", "department")
    )
    joined: date | None = date_field("Joined", aliases=("joined on", "join date", "member since", "since"))
    status: str = choice("Status", MemberStatus, default="active", aliases=("member status",))
    emergency_contact: str = text(
        "Emergency contact", sensitive=True, aliases=("emergency", "ice", "in case of emergency")
    )
    skills: dict[str, str] = mapping(
        "Skills", values=SkillLevel, value_default="basic", aliases=("skill", "skills", "abilities", "expertise")
    )
    special_needs: str = text(
        "Special needs", sensitive=True, aliases=("needs", "access needs", "special needs"), multiline=True
    )
    medical_notes: str = text(
        "Medical notes", sensitive=True, aliases=("medical", "medical info", "health", "allergies"), multiline=True
    )
    consent_share: bool = flag(
        "Shares contact details",
        aliases=("consent", "share contact", "share contacts", "ok to share"),
        help="May the group share this member's phone and email with other members?",
    )
    last_active: date | None = date_field("Last active")
    notes: str = text("Notes", aliases=("note", "comments", "comment"), multiline=True)


@dataclass(frozen=True, kw_only=True)
class Household(Record):
    KIND = Kind(
        "households",
        noun="household",
        sheet=Sheet(
            columns=("name", "zone", "phone", "people", "pets", "address", "special_needs", "notes"),
            aliases={
                "address": (
                    "street",
                    "address 1",
                    "address 2",
                    "city",
                    "town",
                    "zip",
                    "zip code",
                    "postcode",
                    "post code",
                    "postal code",
                    "state",
                ),
                "people": ("headcount", "occupants"),
            },
            words={
                "de": {
                    "name": ("haushalt", "familie"),
                    "address": ("adresse", "anschrift", "straße", "ort", "stadt", "plz", "postleitzahl"),
                    "zone": ("bezirk", "viertel"),
                    "phone": ("telefon", "festnetz"),
                    "people": ("personen", "anzahl personen", "bewohner"),
                    "pets": ("haustiere",),
                    "notes": ("notizen", "bemerkungen"),
                },
                "es": {
                    "name": ("hogar", "familia"),
                    "address": ("dirección", "domicilio", "calle", "ciudad", "código postal"),
                    "zone": ("zona", "barrio", "manzana"),
                    "phone": ("teléfono", "fijo"),
                    "people": ("personas", "número de personas", "habitantes"),
                    "pets": ("mascotas",),
                    "notes": ("notas", "observaciones"),
                },
                "fr": {
                    "name": ("foyer", "famille"),
                    "address": ("adresse", "rue", "ville", "code postal"),
                    "zone": ("quartier", "secteur"),
                    "phone": ("téléphone", "fixe"),
                    "people": ("personnes", "nombre de personnes"),
                    "pets": ("animaux",),
                    "notes": ("remarques",),
                },
                "pt": {
                    "name": ("agregado", "agregado familiar", "família"),
                    "address": ("endereço", "morada", "rua", "cidade", "cep"),
                    "zone": ("zona", "bairro"),
                    "phone": ("telefone",),
                    "people": ("pessoas", "número de pessoas", "moradores"),
                    "pets": ("animais",),
                    "notes": ("notas", "observações"),
                },
            },
            same=("phone",),
            bare=("name", "zone"),
            joined={"address": ", "},
            rank=1,
        ),
    )

    name: str = text("Name", required=True, aliases=("household", "family", "household name"))
    address: str = text("Address", sensitive=True, aliases=("street address", "home address"))
    zone: str = text("Zone / block", aliases=("block", "zone", "area"))
    phone: str = text("Phone", aliases=("home phone", "landline"))
    people: int = integer(
        "People", minimum=0, aliases=("size", "household size", "people", "residents", "number of people"), default=1
    )
    pets: str = text("Pets")
    special_needs: str = text("Special needs", sensitive=True, aliases=("needs", "access needs"), multiline=True)
    notes: str = text("Notes", multiline=True)


class RoleKind(StrEnum):
    LEVEL = "level"
    ROLE = "role"


@dataclass(frozen=True, kw_only=True)
class Role(Record):
    """A membership level or a role, with the responsibilities that come with it."""

    KIND = Kind("roles", noun="role")

    name: str = text("Name", required=True)
    kind: str = choice("Kind", RoleKind, default="role")
    responsibilities: str = text("Responsibilities", multiline=True)
    how_to_join: str = text("How to join", multiline=True)


@dataclass(frozen=True, kw_only=True)
class Device(Record):
    """A laptop or Pi allowed to sync, tied to the member it speaks for."""

    KIND = Kind("devices", noun="device")

    name: str = text("Name", required=True)
    device_id: str = text("Device id", required=True)
    public_key: str = text("Public key")
    member_id: str = ref("Member", "members")
    added_at: datetime | None = moment("Added")
    revoked: bool = flag("Revoked")
    revoked_at: datetime | None = moment("Revoked at")
