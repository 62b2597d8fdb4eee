"""The `magnet` command: the composition root, and the only core module that reaches sync/screens.

Every user mistake ends as one line on stderr and a non-zero exit; tracebacks are for bugs.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from magnet import __version__
from magnet.errors import MagnetError, UnsavedChange
from magnet.safetext import shown

if TYPE_CHECKING:
    import argparse

    from magnet.collection import Collection
    from magnet.datadir import GroupInfo
    from magnet.document import GroupDocument
    from magnet.home import Home, OpenGroup

EXIT_USAGE = 2
T = TypeVar("T")
Handler = Callable[["argparse.Namespace"], int]


def _home(args: argparse.Namespace) -> Home:
    from magnet.home import Home

    return Home(Path(args.home).expanduser()) if args.home else Home.default()


def open_group(args: argparse.Namespace) -> OpenGroup:
    """Open the group named by --group, unlocking it when the store is encrypted."""
    from magnet.unlock import open_with_passphrase

    group = open_with_passphrase(_home(args), args.group)
    group.warn = _warn
    for problem in group.report.problems:
        _warn(problem)
    return group


def read_group(args: argparse.Namespace, action: Callable[[GroupDocument, GroupInfo], T]) -> T:
    """Run a reading `action` on the group, from its read model when it matches the store.

    The read model answers without replaying the group's history; when it is missing or stale,
    or the action needs history after all, the group is opened in full and `action` runs again
    (so an action computes its answer before it prints anything).
    """
    from magnet.document import NeedsDocument
    from magnet.readmodel import ReadModelDamaged
    from magnet.unlock import unlock

    home = _home(args)
    info, cipher = unlock(home, args.group)
    doc = home.read_group(info, cipher=cipher)
    if doc is not None:
        try:
            return action(doc, info)
        except (NeedsDocument, ReadModelDamaged):
            pass
    group = home.open_group(info, cipher=cipher)
    group.warn = _warn
    for problem in group.report.problems:
        _warn(problem)
    try:
        return action(group.doc, group.info)
    finally:
        group.close()


def _warn(problem: str) -> None:
    print(f"magnet: warning: {shown(problem)}", file=sys.stderr)


# ---- commands ------------------------------------------------------------------------------


def cmd_tui(args: argparse.Namespace) -> int:
    from screens.app import run_app

    return run_app(_home(args), args.group)


def cmd_init(args: argparse.Namespace) -> int:
    from magnet.unlock import create_group

    group = create_group(_home(args), args.name, member_name=args.me, encrypt=args.encrypt)
    try:
        print(f"Created group {shown(group.info.name)!r} ({group.info.group_id[:8]}) in {group.path}")
        print("Next: 'magnet' opens it; 'magnet invite' lets a neighbor's device join.")
    finally:
        group.close()
    return 0


def cmd_groups(args: argparse.Namespace) -> int:
    home = _home(args)
    groups = home.groups()
    if not groups:
        print("No groups yet. Create one with 'magnet init NAME' or explore 'magnet demo'.")
        return 0
    for info in groups:
        lock = " (encrypted)" if info.encrypted else ""
        print(f"{info.group_id[:8]}  {shown(info.label)}{lock}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from magnet.sample import create_demo_group

    group = create_demo_group(_home(args), name=args.name, size=args.size, seed=args.seed)
    try:
        doc = group.doc
        print(
            f"Created sample group {shown(group.info.name)!r}: {len(doc.members)} members, {len(doc.households)} households, {len(doc.inventory)} items, {len(doc.events)} events, {len(doc.goals)} goals."
        )
    finally:
        group.close()
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from magnet.formats.export import export_group, file_name

    if args.format == "bundle" and (args.output is None or args.output == "-") and sys.stdout.isatty():
        raise MagnetError("a bundle is a binary file: write it with -o FILE (e.g. -o /media/usb/group.mgb)")
    from magnet.groupkey import KeyRing

    kind = _kind(args.kind) if args.kind else None

    def export(doc: GroupDocument, info: GroupInfo) -> tuple[str | bytes, str]:
        seal = KeyRing.load(info.path).current if args.seal else None
        data = export_group(doc, args.format, kind=kind, sensitive=args.sensitive, seal=seal)
        return data, file_name(doc.profile.name, args.format, kind=kind)

    data, name = read_group(args, export)
    _emit(data, args.output, name)
    if args.format == "bundle" and args.output not in (None, "-"):
        if args.seal:
            print("Sealed: only this group's devices can open it.", file=sys.stderr)
        else:
            print(
                "The bundle holds the whole group, sensitive fields included, readable by anyone who finds "
                "the stick: keep it safe, or write it with --seal.",
                file=sys.stderr,
            )
    return 0


def _emit(data: str | bytes, output: str | None, name_in_folder: str) -> None:
    if output is None or output == "-":
        if sys.stdout.isatty():  # read by a person, not a program: shown, never obeyed
            text = data.decode("utf-8", errors="replace") if isinstance(data, bytes) else data
            sys.stdout.write(shown(text.removeprefix("\ufeff"), multiline=True))
            return
        if isinstance(data, bytes):
            sys.stdout.buffer.write(data)
        else:
            sys.stdout.write(data)
        return
    from magnet.formats.export import export_target, write_export

    path = export_target(Path(output), name_in_folder)
    write_export(path, data)
    print(f"Wrote {path}", file=sys.stderr)


def cmd_import(args: argparse.Namespace) -> int:
    from magnet.formats.importing import import_file
    from magnet.groupkey import KeyRing

    kind = _kind(args.kind) if args.kind else None
    group = open_group(args)
    try:
        summary = import_file(
            group.doc,
            Path(args.file),
            kind=kind,
            skip_invalid=args.skip_invalid,
            allow_duplicates=args.allow_duplicates,
            keys=lambda: KeyRing.load(group.path),
        )
    finally:
        group.close()
    if summary.refused:
        # Nothing was imported: the report is the error, one line per bad row.
        print("magnet: error: " + "\n".join(shown(line) for line in summary.problems()), file=sys.stderr)
        return 1
    # What was done on stdout, for scripts to read; rows left out on stderr; nothing taken is a failure.
    report, problems = summary.report(), summary.problems()
    if report:
        print("\n".join(shown(line) for line in report))
    if problems:
        print("\n".join(shown(line) for line in problems), file=sys.stderr)
    return 1 if summary.nothing_imported else 0


def cmd_info(args: argparse.Namespace) -> int:
    from magnet.problems import find_problems

    device = _home(args).device.readable_id

    def info(doc: GroupDocument, group: GroupInfo) -> list[str]:
        lines = [
            f"{doc.profile.name}  (group {doc.group_id[:8]}, schema {doc.schema})",
            f"this device: {device}",
            f"store: {group.store_path} ({group.store_path.stat().st_size:,} bytes)",
        ]
        for collection in doc.collections():
            total = len(collection.all(include_archived=True))
            if total:
                active = len(collection)
                archived = f"  (+{total - active} archived)" if total != active else ""
                lines.append(f"  {collection.record_type.KIND.heading:<22} {active:>6}{archived}")
        problems = find_problems(doc)
        if problems:
            verb = "does" if len(problems) == 1 else "do"
            lines.append(f"{_count(len(problems), 'stored value')} {verb} not fit its field: 'magnet check' lists them")
        return lines

    print("\n".join(shown(line) for line in read_group(args, info)))
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from magnet.problems import find_problems

    problems = read_group(args, lambda doc, _info: find_problems(doc))
    if not problems:
        print("Every stored value fits its field.")
        return 0
    for problem in problems:
        print(shown(problem.describe()))
    print(
        f"magnet: {_count(len(problems), 'value')} written by another program or version "
        f"{'does' if len(problems) == 1 else 'do'} not fit; magnet shows "
        f"{'it' if len(problems) == 1 else 'them'} as empty and keeps the stored value until someone sets the field",
        file=sys.stderr,
    )
    return 1


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")


def cmd_compact(args: argparse.Namespace) -> int:
    group = open_group(args)
    try:
        before = group.store.path.stat().st_size
        group.store.compact(group.doc)
        after = group.store.path.stat().st_size
    finally:
        group.close()
    print(f"Compacted {before:,} -> {after:,} bytes")
    return 0


def _kind(word: str) -> str:
    from magnet.records import COLLECTIONS, kind_named

    kind = kind_named(word)
    if kind is None:
        raise MagnetError(f"unknown kind {word!r}; one of: {', '.join(COLLECTIONS)}")
    return kind


def _collection(doc: GroupDocument, kind: str) -> Collection[Any]:
    from magnet.records import COLLECTIONS

    return doc.collection(COLLECTIONS[_kind(kind)])


def _assignments(pairs: Sequence[str]) -> dict[str, str]:
    values: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise MagnetError(f"expected field=value, got {pair!r}")
        values[key.strip()] = value
    return values


def cmd_add(args: argparse.Namespace) -> int:
    from magnet.collection import now
    from magnet.values import FieldKind

    group = open_group(args)
    try:
        collection = _collection(group.doc, args.kind)
        values = _field_values(group.doc, collection, args.fields)
        for name, spec in collection.record_type.specs().items():
            if spec.kind is FieldKind.MOMENT and spec.required and name not in values:
                values[name] = now()  # a check-in given no time happened now
        record = collection.add(**values)
    finally:
        group.close()
    print(shown(record.id))
    return 0


def cmd_set(args: argparse.Namespace) -> int:
    group = open_group(args)
    try:
        collection = _collection(group.doc, args.kind)
        record = collection.update(_resolve(collection, args.id), **_field_values(group.doc, collection, args.fields))
    finally:
        group.close()
    print(shown(record.id))
    return 0


def cmd_adjust(args: argparse.Namespace) -> int:
    group = open_group(args)
    try:
        collection = _collection(group.doc, "inventory")
        record = collection.adjust(_resolve(collection, args.id), "quantity", args.delta)
    finally:
        group.close()
    print(shown(f"{record.name}: {record.quantity:g} {record.unit}".rstrip()))
    return 0


def cmd_archive(args: argparse.Namespace) -> int:
    group = open_group(args)
    try:
        collection = _collection(group.doc, args.kind)
        record_id = _resolve(collection, args.id)
        if args.purge:
            collection.purge(record_id)
        else:
            collection.archive(record_id)
    finally:
        group.close()
    return 0


def _field_values(doc: GroupDocument, collection: Collection[Any], pairs: Sequence[str]) -> dict[str, Any]:
    """`field=value` pairs as the record's fields.

    A field may be named by its label or a spreadsheet alias (`member=Bob`, `qty=4`); a reference
    to another record may name it (`member_id=Bob` stores Bob's id, never the word "Bob").
    """
    from magnet.records import COLLECTIONS
    from magnet.values import FieldKind

    specs = collection.record_type.specs()
    said: dict[str, str] = {}
    for name, spec in specs.items():
        for word in (name, name.removesuffix("_id"), spec.label, *spec.aliases):
            said.setdefault(_words(word), name)
    values: dict[str, Any] = {}
    for key, given in _assignments(pairs).items():
        name = key if key in specs else said.get(_words(key), key)
        spec = specs.get(name)
        if spec is not None and spec.kind is FieldKind.REF and spec.ref and given.strip():
            values[name] = _resolve(doc.collection(COLLECTIONS[spec.ref]), given.strip())
        else:
            values[name] = given
    return values


def _words(text: str) -> str:
    return " ".join(text.lower().replace("_", " ").replace("-", " ").split())


def _resolve(collection: Collection[Any], ref: str) -> str:
    """A record id from a full id, an id prefix, or an exact title."""
    records = collection.all(include_archived=True)
    exact = [r for r in records if r.id == ref]
    if exact:
        return str(exact[0].id)
    matches = [r for r in records if r.id.startswith(ref)] or [r for r in records if r.title.lower() == ref.lower()]
    if len(matches) == 1:
        return str(matches[0].id)
    if not matches:
        raise MagnetError(f"no {collection.record_type.NOUN} matches {ref!r}")
    raise MagnetError(f"{ref!r} matches {len(matches)} records; use the id")


def cmd_list(args: argparse.Namespace) -> int:
    from magnet.formats.listing import list_records

    kind = _kind(args.kind)

    def listed(doc: GroupDocument, _info: GroupInfo) -> str:
        return list_records(doc, kind, fmt=args.format, sensitive=args.sensitive, archived=args.archived)

    # The formats escape control characters already; shown() also catches bidi overrides.
    sys.stdout.write(shown(read_group(args, listed), multiline=True))
    return 0


def cmd_history(args: argparse.Namespace) -> int:
    """`magnet history`: the group's recent changes; `magnet history KIND ID`: one record's."""
    from magnet.history import describe, recent_changes, record_history

    if (args.kind is None) != (args.id is None):
        raise MagnetError("give both a kind and a record (magnet history members 'Ann Lee'), or neither")
    group = open_group(args)
    try:
        if args.kind is None:
            edits = recent_changes(group.doc, limit=args.limit)
            heading = f"The {len(edits)} latest changes to {group.info.name}, newest first:"
        else:
            collection = _collection(group.doc, args.kind)
            record_id = _resolve(collection, args.id)
            edits = record_history(group.doc, collection.name, record_id, limit=args.limit)
            title = collection.get(record_id).title
            heading = f"Changes to the {collection.record_type.NOUN} {title}, newest first:"
    finally:
        group.close()
    print(shown(heading))
    for edit in edits:
        lines = describe(edit, width=50)
        if args.kind is None:
            lines[0] += f"  ({edit.noun} {edit.title}, {edit.record_id[:8]})"
        print("\n".join(shown(line) for line in lines))
    return 0


def cmd_service(args: argparse.Namespace) -> int:
    from magnet.service import service_command

    return service_command(args)


def _sync_command(name: str) -> Handler:
    def run(args: argparse.Namespace) -> int:
        from sync import cli as sync_cli

        handler: Handler = getattr(sync_cli, name)
        return handler(args)

    return run


# ---- the parser ----------------------------------------------------------------------------


class _SheetKinds:
    """The kinds a spreadsheet holds, as the records declare them, read only when asked.

    Used as argparse `choices` and in help text: a command that neither checks `--kind` nor shows
    help never imports every record type (`magnet --version` stays a few milliseconds).
    """

    @staticmethod
    def kinds() -> list[str]:
        from magnet.records import SHEET_KINDS

        return list(SHEET_KINDS)

    def __contains__(self, word: object) -> bool:
        return word in self.kinds()

    def __iter__(self) -> Iterator[str]:
        return iter(self.kinds())

    def __str__(self) -> str:
        return ", ".join(self.kinds())


def build_parser() -> argparse.ArgumentParser:
    import argparse

    sheet_kinds = _SheetKinds()
    parser = argparse.ArgumentParser(
        prog="magnet", description="A Mutual Assistance Group's shared records, synced peer to peer."
    )
    parser.add_argument("--version", action="version", version=f"magnet {__version__}")
    parser.add_argument("--home", help="data directory (default: $MAGNET_HOME or the platform's user data dir)")
    parser.add_argument("--group", "-g", help="which group, by name or id prefix, when the data dir holds several")
    parser.set_defaults(handler=cmd_tui)
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")

    def command(name: str, handler: Handler, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.set_defaults(handler=handler)
        return p

    p = command("init", cmd_init, "create a new group")
    p.add_argument("name")
    p.add_argument("--me", help="your own name, added as the first core team member")
    p.add_argument("--encrypt", action="store_true", help="encrypt the group's data on this disk with a passphrase")

    command("groups", cmd_groups, "list the groups in this data dir")

    p = command("demo", cmd_demo, "create a group filled with realistic sample data to explore")
    p.add_argument("--name", default="Sample Street MAG")
    p.add_argument("--size", choices=["demo", "year"], default="demo")
    p.add_argument("--seed", type=int, default=7)

    p = command("export", cmd_export, "write the group's records out (json, csv, vcard, ics, html, md, bundle)")
    p.add_argument("--format", "-f", default="json", choices=["json", "csv", "vcard", "ics", "html", "md", "bundle"])
    kind = p.add_argument("--kind", help="one collection only (csv: %(sheet_kinds)s)")
    vars(kind)["sheet_kinds"] = sheet_kinds  # argparse fills %(name)s in help from the action's attributes
    p.add_argument("--sensitive", action="store_true", help="include sensitive fields (addresses, medical notes)")
    p.add_argument(
        "--seal", action="store_true", help="bundle only: encrypt it so that only the group's devices can open it"
    )
    p.add_argument(
        "-o", "--output", help="file to write, or a folder to write a dated file into (default: standard output)"
    )

    p = command("import", cmd_import, "bring records in from a spreadsheet (CSV), contacts (vCard) or a bundle")
    p.add_argument("file", help="a CSV or vCard file, or a bundle written by 'magnet export --format bundle'")
    p.add_argument(
        "--kind",
        choices=sheet_kinds,
        metavar="KIND",  # (not the choices: listing them at start-up would import them)
        help="what the CSV holds: %(choices)s (guessed from its headers when omitted)",
    )
    p.add_argument(
        "--skip-invalid",
        action="store_true",
        help="import the good rows and list the bad ones, instead of importing nothing",
    )
    p.add_argument(
        "--allow-duplicates",
        action="store_true",
        help="also import rows with the name and a phone or e-mail of a record already here",
    )

    command("info", cmd_info, "show the group, this device and how many records it holds")
    command("check", cmd_check, "list stored values that do not fit their fields (written by another program)")
    command("compact", cmd_compact, "rewrite the store as one snapshot")

    p = command("list", cmd_list, "list the records of one kind")
    p.add_argument("kind")
    p.add_argument("--archived", action="store_true", help="include archived records")
    p.add_argument(
        "--format", "-f", choices=["table", "tsv", "json"], default="table", help="table (default), tsv or json"
    )
    p.add_argument("--sensitive", action="store_true", help="include sensitive fields (addresses, medical notes)")

    p = command("history", cmd_history, "who changed what and when: the group's latest changes, or one record's")
    p.add_argument("kind", nargs="?", help="the kind of record (members, items, events, ...)")
    p.add_argument("id", nargs="?", help="id, id prefix or exact name")
    p.add_argument("--limit", "-n", type=int, default=30, help="how many changes to show (default 30)")

    p = command("add", cmd_add, "add a record: magnet add members name='Ann Lee' zone=B")
    p.add_argument("kind")
    p.add_argument("fields", nargs="*", metavar="FIELD=VALUE")

    p = command("set", cmd_set, "change fields of a record: magnet set members ID zone=C")
    p.add_argument("kind")
    p.add_argument("id", help="id, id prefix or exact name")
    p.add_argument("fields", nargs="+", metavar="FIELD=VALUE")

    p = command("adjust", cmd_adjust, "add to or take from an inventory item's quantity: magnet adjust ID -- -2")
    p.add_argument("id", help="id, id prefix or exact name")
    p.add_argument("delta", type=float)

    p = command("archive", cmd_archive, "archive a record (or --purge to delete it for good)")
    p.add_argument("kind")
    p.add_argument("id", help="id, id prefix or exact name")
    p.add_argument("--purge", action="store_true", help="delete permanently; a concurrent edit elsewhere is lost")

    p = command("serve", _sync_command("serve"), "run this device as an always-on peer (e.g. a Raspberry Pi)")
    _serve_options(p)
    # The app runs its node this way, in a process of its own (sync/child.py); not for people.
    p.add_argument("--control", action="store_true", help=argparse.SUPPRESS)

    p = command(
        "service", cmd_service, "start 'magnet serve' at every boot (systemd; launchd, Task Scheduler), or stop"
    )
    p.add_argument("action", choices=["install", "uninstall"])
    p.add_argument("--system", action="store_true", help="a system unit, run as you (needs sudo); default: your user's")
    p.add_argument("--dry-run", action="store_true", help="print the unit and the commands; change nothing")
    p.add_argument("--no-enable", action="store_true", help="only write the unit; do not start or enable it")
    p.add_argument("--unit-dir", metavar="DIR", help="write the unit here instead of systemd's directory")
    _serve_options(p)  # what the service passes on to magnet serve

    p = command("invite", _sync_command("invite"), "invite a new device into the group")
    p.add_argument("--expires", default="24h", help="how long the invite stays valid (e.g. 30m, 24h, 7d)")
    p.add_argument("--short", action="store_true", help="also make a short code to type (goes through a PAKE)")
    p.add_argument("--quiet", "-q", action="store_true", help="print only the code, for scripts")
    p.add_argument(
        "--address",
        action="append",
        default=[],
        metavar="HOST:PORT",
        help="address(es) where this device can be reached",
    )

    p = command(
        "join",
        _sync_command("join"),
        "join a group with an invite code: it asks for the code (or reads it from standard input with '-')",
    )
    p.add_argument(
        "code",
        nargs="?",
        help="'-' reads the code from standard input; a code given here is visible to other users (ps)",
    )
    p.add_argument("--code-file", metavar="FILE", help="read the invite code from the first line of FILE")
    p.add_argument("--address", metavar="HOST:PORT", help="the inviter's address when mDNS cannot find it")
    p.add_argument("--name", help="a name for this device; with no --me, a shared device such as a Pi")
    p.add_argument("--me", help="your name, added as a member if you are new")
    p.add_argument("--interface", action="append", default=[], metavar="IF")
    p.add_argument("--encrypt", action="store_true", help="encrypt the group's data on this disk with a passphrase")

    command("devices", _sync_command("devices"), "list the group's devices")

    p = command(
        "revoke", _sync_command("revoke"), "revoke a lost device or a member who left, and rotate the group secret"
    )
    p.add_argument("device", help="device id prefix or name")
    return parser


def _serve_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--port", type=int, help="TCP port to listen on (default 7787)")
    p.add_argument(
        "--peer", action="append", default=[], metavar="HOST:PORT", help="a peer to dial by address (repeatable)"
    )
    p.add_argument(
        "--interface",
        action="append",
        default=[],
        metavar="IF",
        help="only use this network interface or address (repeatable; env MAGNET_INTERFACES)",
    )
    p.add_argument("--no-discovery", action="store_true", help="do not use mDNS; only peers given by address")
    p.add_argument(
        "--keepalive",
        type=float,
        metavar="SECONDS",
        help="ping quiet peers this often; one silent for 4 times as long is dropped (default 5)",
    )
    p.add_argument("--verbose", "-v", action="store_true")


def main(argv: Sequence[str] | None = None) -> int:
    words = sys.argv[1:] if argv is None else list(argv)
    try:
        if "list" in words:  # `magnet list` from the read model, before the rest is imported
            from magnet.glance import answer

            quick = answer(words)
            if quick is not None:
                return quick
        args = build_parser().parse_args(words)
        code: int = args.handler(args)
        return code
    except UnsavedChange as exc:  # this process ends now: what it kept in memory goes with it
        print(f"magnet: error: could not save to {exc.path}: {shown(exc.reason)}; nothing was changed", file=sys.stderr)
        return 1
    except MagnetError as exc:  # its message may quote a name from the document or a peer
        print(f"magnet: error: {shown(str(exc), multiline=True)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("magnet: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


if __name__ == "__main__":
    sys.exit(main())
