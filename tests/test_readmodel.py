"""The read model: records without replaying history, and never a stale or damaged answer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from security.hostile import write_raw

from magnet import crdt, readmodel
from magnet.document import GroupDocument
from magnet.home import Home
from magnet.readmodel import StoreState
from magnet.records import COLLECTIONS, Member
from magnet.sealing import ChunkSealer

STATE = StoreState(inode=42, size=1234, modified_ns=99)


def written(tmp_path: Path, sealer: ChunkSealer | None = None) -> GroupDocument:
    doc = GroupDocument.create("Maple St", device_id="ab" * 16, group_id="9f" * 16)
    doc.members.add(name="Ann Lee", skills="radio: certified", zone="B")
    bob = doc.members.add(name="Bob", phones="mobile: 555")
    write_raw(doc, "members", bob.id, name="Bob \x1b]52;c;x\x07")  # as a peer's copy may hold it
    raw = doc.export()
    readmodel.write(
        tmp_path,
        STATE,
        group_id=doc.group_id,
        schema=doc.schema,
        collections=[(name, raw[name]) for name in ("group", "members", "inventory")],
        sealer=sealer,
    )
    return doc


def test_records_come_back_exactly_for_the_state_they_were_made_for(tmp_path: Path) -> None:
    doc = written(tmp_path)
    model = readmodel.load(tmp_path, STATE)
    assert model is not None
    assert sorted(model.records(Member), key=lambda m: m.name) == sorted(doc.members.all(), key=lambda m: m.name)
    assert model.raw("group")["name"] == "Maple St"
    assert model.records(Member)[0].extra == doc.members.all()[0].extra
    assert model.raw("events") == {}  # not in the file: nothing rather than an error


@pytest.mark.parametrize("other", [StoreState(42, 1235, 99), StoreState(43, 1234, 99), StoreState(42, 1234, 98), None])
def test_any_other_state_of_the_store_is_not_answered(tmp_path: Path, other: StoreState | None) -> None:
    written(tmp_path)
    assert readmodel.load(tmp_path, other) is None


def test_damage_anywhere_means_no_answer_never_a_wrong_one(tmp_path: Path) -> None:
    written(tmp_path)
    path = tmp_path / readmodel.FILE
    original = path.read_bytes()
    for position in range(0, len(original), max(1, len(original) // 60)):
        damaged = bytearray(original)
        damaged[position] ^= 0xFF
        path.write_bytes(bytes(damaged))
        model = readmodel.load(tmp_path, STATE)
        if model is None:
            continue
        with pytest.raises(readmodel.ReadModelDamaged):
            for name in ("group", *model.names()):
                model.raw(name)
    path.write_bytes(original[:10])
    assert readmodel.load(tmp_path, STATE) is None


def test_a_sealed_read_model_holds_no_name_in_plaintext_and_opens_only_with_the_key(tmp_path: Path) -> None:
    sealer = ChunkSealer(bytes(32))
    written(tmp_path, sealer)
    data = (tmp_path / readmodel.FILE).read_bytes()
    assert b"Ann Lee" not in data and b"radio" not in data
    model = readmodel.load(tmp_path, STATE, sealer)
    assert model is not None and {m.name for m in model.records(Member)} == {"Ann Lee", "Bob \x1b]52;c;x\x07"}
    wrong = readmodel.load(tmp_path, STATE, ChunkSealer(bytes([1]) * 32))
    assert wrong is not None
    with pytest.raises(Exception, match=r".+"):
        wrong.records(Member)


def test_the_file_is_owner_only(tmp_path: Path) -> None:
    written(tmp_path)
    assert (tmp_path / readmodel.FILE).stat().st_mode & 0o077 == 0


def test_crdt_is_not_needed_to_read(tmp_path: Path) -> None:
    written(tmp_path)
    model = readmodel.load(tmp_path, STATE)
    assert model is not None and crdt is not None  # the module imports no document to answer


def test_a_document_read_from_the_read_model_answers_every_read_and_refuses_writes(tmp_path: Path) -> None:
    from magnet.document import NeedsDocument
    from magnet.records import RECORD_TYPES

    doc = written(tmp_path)
    doc.inventory.add(name="Water", quantity=40)
    raw = doc.export()
    readmodel.write(
        tmp_path,
        STATE,
        group_id=doc.group_id,
        schema=doc.schema,
        collections=[(name, raw[name]) for name in ("group", *(c.COLLECTION for c in RECORD_TYPES))],
    )
    model = readmodel.load(tmp_path, STATE)
    assert model is not None
    reading = GroupDocument.reading(model, device_id="ab" * 16)
    assert (reading.group_id, reading.schema, reading.profile) == (doc.group_id, doc.schema, doc.profile)
    for record_type in RECORD_TYPES:
        ours = sorted(reading.collection(record_type).all(include_archived=True), key=lambda r: r.id)
        assert ours == sorted(doc.collection(record_type).all(include_archived=True), key=lambda r: r.id)
    assert reading.export() == raw
    with pytest.raises(NeedsDocument):
        reading.members.add(name="Carla")
    with pytest.raises(NeedsDocument):
        reading.save()


# ---- the CLI reads from it ------------------------------------------------------------------

NEVER_OPEN = """
import sys
import magnet.store
def refuse(*args, **kwargs):
    raise SystemExit("the store was opened: history was replayed")
magnet.store.GroupStore.open = refuse
from magnet.cli import main
sys.exit(main(sys.argv[1:]))
"""


def cli(home: Path, *args: str, never_open: bool = False, env: dict[str, str] | None = None) -> str:
    import os
    import subprocess
    import sys

    code = ["-c", NEVER_OPEN] if never_open else ["-m", "magnet"]
    result = subprocess.run(
        [sys.executable, *code, "--home", str(home), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_reading_commands_answer_from_the_read_model_after_a_write(tmp_path: Path) -> None:
    home = tmp_path / "home"
    cli(home, "init", "Maple St", "--me", "Ann Lee")
    cli(home, "add", "members", "name=Bob Diallo", "zone=B")
    listed = cli(home, "list", "members", never_open=True)
    assert "Ann Lee" in listed and "Bob Diallo" in listed
    assert "Members" in cli(home, "info", never_open=True)
    assert '"Bob Diallo"' in cli(home, "export", "--format", "json", never_open=True)


def test_a_change_the_read_model_does_not_hold_is_never_hidden(tmp_path: Path) -> None:
    from magnet.home import Home

    home = tmp_path / "home"
    cli(home, "init", "Maple St")
    cli(home, "add", "members", "name=Ann Lee")
    group = Home(home).open_group()
    group.doc.members.add(name="Carla Okafor")  # durable, but this process ends without a new read model
    group.store.close()
    assert "Carla Okafor" in cli(home, "list", "members")
    assert "Carla Okafor" in cli(home, "list", "members", never_open=True)  # the full open wrote a new one


def test_an_encrypted_groups_read_model_is_sealed_and_read_with_the_passphrase(tmp_path: Path) -> None:
    home = tmp_path / "home"
    secret = {"MAGNET_PASSPHRASE": "correct horse battery staple"}
    cli(home, "init", "Maple St", "--encrypt", env=secret)
    cli(home, "add", "members", "name=Zebulon Quist", "medical_notes=insulin", env=secret)
    files = [path.read_bytes() for path in home.rglob(readmodel.FILE)]
    assert files and not any(b"Zebulon" in data or b"insulin" in data for data in files)
    assert "Zebulon Quist" in cli(home, "list", "members", never_open=True, env=secret)


def test_a_spreadsheet_export_is_made_from_the_read_model_with_the_documents_version(tmp_path: Path) -> None:
    home = tmp_path / "home"
    cli(home, "init", "Maple St", "--me", "Ann Lee")
    from_model = cli(home, "export", "--format", "csv", "--kind", "members", never_open=True)
    from_document = cli(home, "export", "--format", "csv", "--kind", "members")
    assert "Ann Lee" in from_model and from_model == from_document  # the version column included


def test_an_opened_group_takes_its_first_reads_from_a_matching_read_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Same records as walking the document, without walking it, until the document moves on."""
    from magnet.home import Home
    from magnet.records import RECORD_TYPES
    from magnet.sample import create_demo_group

    home = Home(tmp_path / "home")
    create_demo_group(home).close()  # closing writes the read model
    model_file = next(home.root.glob(f"groups/*/{readmodel.FILE}"))
    kept = model_file.read_bytes()
    model_file.unlink()  # this copy reads every collection from Automerge
    walked = home.open_group()
    expected = {kind.COLLECTION: walked.doc.collection(kind).all(include_archived=True) for kind in RECORD_TYPES}
    walked.store.close()  # leaves no read model behind; the one the group closed with comes back
    model_file.write_bytes(kept)

    group = home.open_group()
    walks: list[bytes] = []
    real_read_map = crdt.read_map

    def counted(doc: Any, obj: bytes, heads: list[bytes] | None = None) -> dict[str, Any]:
        walks.append(obj)
        return real_read_map(doc, obj, heads)

    monkeypatch.setattr(crdt, "read_map", counted)
    for kind in RECORD_TYPES:
        assert group.doc.collection(kind).all(include_archived=True) == expected[kind.COLLECTION], kind.COLLECTION
    assert walks == []  # every one of them came from the read model

    # Another process changes the group: what this copy reads next comes from the document.
    other = Home(home.root).open_group()
    ann = other.doc.members.all()[0]
    other.doc.members.update(ann.id, notes="moved house")
    other.store.close()
    group.poll()
    assert group.doc.members.get(ann.id).notes == "moved house"
    assert walks
    group.close()


def test_a_read_model_write_that_fails_leaves_nothing_stale_to_carry_over(tmp_path: Path) -> None:
    """The parts a later write copies as they are must be the ones the document still holds."""
    import os

    from magnet.home import Home

    home = Home(tmp_path / "home")
    group = home.create_group("Maple St")
    ann = group.doc.members.add(name="Ann")
    assert group.save_read_model()
    group.doc.members.update(ann.id, name="Bob")
    # The write fails for real: its temporary file's place is taken (as a full disk would fail it).
    blocker = group.path / f".{readmodel.FILE}.{os.getpid()}.tmp"
    blocker.mkdir()
    assert not group.save_read_model()
    blocker.rmdir()
    group.doc.inventory.add(name="Water")  # the next change, whose write succeeds
    assert group.save_read_model()
    reading = Home(home.root).read_group()
    assert reading is not None and [m.name for m in reading.members.all()] == ["Bob"]
    group.close()
    reopened = Home(home.root).open_group()  # first reads seeded from the read model
    assert [m.name for m in reopened.doc.members.all()] == ["Bob"]
    reopened.doc.members.update(ann.id, name="Ann")  # never taken for "nothing changed"
    reopened.close()
    final = Home(home.root).open_group()
    assert [m.name for m in final.doc.members.all()] == ["Ann"]
    final.close()


def test_a_value_another_writer_stored_as_a_timestamp_reads_the_same_from_the_read_model(tmp_path: Path) -> None:
    """Read as the document reads it (a notes field holding a date reads empty) and still found by check."""
    from datetime import datetime

    from automerge.core import ROOT, ScalarType

    from magnet.home import Home
    from magnet.problems import find_problems

    home = Home(tmp_path / "home")
    group = home.create_group("Maple St")
    ann = group.doc.members.add(name="Ann", notes="hello")
    peer = group.doc.fork()

    def stamp(doc: Any) -> None:
        record = doc.get(doc.get(ROOT, "members")[1], ann.id)[1]
        with doc.transaction() as tx:
            tx.put(record, "notes", ScalarType.Timestamp, datetime(2026, 1, 2, 3, 4, 5))

    peer.with_automerge(stamp)
    group.doc.merge(peer)
    walked = (group.doc.members.get(ann.id).notes, len(find_problems(group.doc)))
    group.close()
    reading = home.read_group()
    assert reading is not None
    assert (reading.members.get(ann.id).notes, len(find_problems(reading))) == walked == ("", 1)
    seeded = home.open_group()
    assert (seeded.doc.members.get(ann.id).notes, len(find_problems(seeded.doc))) == walked
    seeded.close()


# ---- written again from what changed ---------------------------------------------------------------

STEPS = st.lists(
    st.tuples(
        st.sampled_from(["add", "update", "archive", "purge", "adjust", "profile", "remote", "remote_many", "none"]),
        st.integers(min_value=0, max_value=30),
    ),
    min_size=1,
    max_size=12,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=STEPS)
def test_a_read_model_written_from_what_changed_holds_what_a_whole_reading_holds(
    tmp_path_factory: pytest.TempPathFactory, steps: list[tuple[str, int]]
) -> None:
    home = Home(tmp_path_factory.mktemp("home"))
    with home.create_group("Maple St", member_name="Ann Lee") as group:
        doc = group.doc
        item = doc.inventory.add(name="Water", quantity=4)
        group.save_read_model()
        peer = GroupDocument.load(doc.save(), device_id="cd" * 16)
        for what, n in steps:
            members = doc.members.all(include_archived=True)
            if what == "add":
                doc.members.add(name=f"Member {n}", zone="B")
            elif what == "update" and members:
                doc.members.update(members[n % len(members)].id, notes=f"note {n}")
            elif what == "archive" and members:
                doc.members.archive(members[n % len(members)].id)
            elif what == "purge" and len(members) > 1:
                doc.members.purge(members[n % len(members)].id)
            elif what == "adjust":
                doc.inventory.adjust(item.id, "quantity", n)
            elif what == "profile":
                doc.update_profile(name=f"Maple St {n}")
            elif what in ("remote", "remote_many"):
                for k in range(1 if what == "remote" else 3):
                    peer.members.add(name=f"Peer {n} {k}")
                    peer.inventory.add(name=f"Rice {n} {k}", quantity=k)
                doc.apply_changes(peer.changes_since(doc.heads()))
            group.save_read_model()
            state = StoreState.of(group.path / "store.mgn")
            model = readmodel.load(group.path, state)
            assert model is not None
            for name in ("group", *COLLECTIONS):
                assert model.raw(name) == doc.raw(name), name


def test_one_edit_is_written_without_reading_its_collection_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = Home(tmp_path / "home")
    with home.create_group("Maple St", member_name="Ann Lee") as group:
        ann = group.doc.members.all()[0]
        group.save_read_model()
        read_whole: list[str] = []
        raw = GroupDocument.raw

        def reading_whole(self: GroupDocument, name: str) -> dict[str, Any]:
            read_whole.append(name)
            return raw(self, name)

        monkeypatch.setattr(GroupDocument, "raw", reading_whole)
        group.doc.members.update(ann.id, notes="Has a generator")
        assert group.save_read_model()
        assert "members" not in read_whole  # the record that changed, patched into the last one
        model = readmodel.load(group.path, StoreState.of(group.path / "store.mgn"))
        assert model is not None and model.raw("members")[ann.id]["notes"] == "Has a generator"
