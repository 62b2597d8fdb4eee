"""The durable store: nothing acknowledged is lost, damage is contained, processes share it."""

from __future__ import annotations

import contextlib
import os
import random
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from magnet.crdt import changes_since, split_changes
from magnet.datadir import STORE_FILE
from magnet.errors import StoreError
from magnet.home import Home, OpenGroup
from magnet.store import CHANGES, encode_chunk, read_header, scan_chunks

assert sys.platform != "win32"  # POSIX-only tests; mypy --platform win32 skips the rest


def test_every_change_is_on_disk_when_the_call_returns(home: Home) -> None:
    group = home.create_group("Maple")
    ann = group.doc.members.add(name="Ann", skills="first aid")
    water = group.doc.inventory.add(name="Water", quantity=5)
    group.doc.inventory.adjust(water.id, "quantity", 3)
    # No close(): a second, independent reader sees it all straight from the file.
    other = Home(home.root).open_group("maple")
    assert other.doc.members.get(ann.id).skills == {"first aid": "basic"}
    assert other.doc.inventory.get(water.id).quantity == 8
    assert other.report.problems == []
    other.close()
    group.close()


def test_a_torn_last_write_is_reported_and_the_rest_loads(home: Home) -> None:
    group = home.create_group("Maple")
    ids = [group.doc.members.add(name=f"M{i}").id for i in range(5)]
    path = group.store.path
    group.close()
    whole = encode_chunk(CHANGES, b"x" * 200)
    with path.open("ab") as f:
        f.write(whole[:57])  # a write cut short by a crash
    reopened = home.open_group()
    assert {m.id for m in reopened.doc.members} == set(ids)
    assert any("unfinished last write" in p for p in reopened.report.problems)
    later = reopened.doc.members.add(name="After the crash").id
    reopened.close()
    again = home.open_group()
    assert later in {m.id for m in again.doc.members}
    assert again.report.problems == []
    again.close()


def test_a_corrupt_chunk_keeps_everything_before_it_and_a_copy_of_the_file(home: Home) -> None:
    group = home.create_group("Maple")
    first = group.doc.members.add(name="Ann").id
    size_before = group.store.path.stat().st_size
    group.doc.members.add(name="Bob")
    path = group.store.path
    group.close()
    data = bytearray(path.read_bytes())
    data[size_before + 20] ^= 0xFF  # flip a byte inside Bob's chunk
    path.write_bytes(bytes(data))
    reopened = home.open_group()
    assert [m.id for m in reopened.doc.members] == [first]
    assert any("checksum mismatch" in p for p in reopened.report.problems)
    assert list(path.parent.glob(f"{STORE_FILE}.damaged-*"))
    reopened.close()


def test_not_a_store_is_a_clear_error(home: Home) -> None:
    group = home.create_group("Maple")
    path = group.store.path
    group.close()
    path.write_bytes(b"this is not a magnet file at all")
    with pytest.raises(StoreError, match="not a magnet store"):
        home.open_group()


def test_compaction_shrinks_to_about_one_snapshot_and_loses_nothing(home: Home) -> None:
    group = home.create_group("Maple")
    item = group.doc.inventory.add(name="Water", quantity=0)
    for _ in range(300):
        group.doc.inventory.adjust(item.id, "quantity", 1)
    before = group.store.path.stat().st_size
    group.store.compact(group.doc)
    after = group.store.path.stat().st_size
    saved = len(group.doc.save())
    assert after < before / 3
    assert after < saved * 1.1 + 200
    group.doc.inventory.adjust(item.id, "quantity", 1)
    group.close()
    reopened = home.open_group()
    assert reopened.doc.inventory.get(item.id).quantity == 301
    reopened.close()


def test_another_process_change_is_picked_up_by_polling(home: Home) -> None:
    writer = home.create_group("Maple")
    reader = Home(home.root).open_group()
    assert reader.poll() == 0
    ann = writer.doc.members.add(name="Ann")
    assert reader.poll() > 0
    assert reader.doc.members.get(ann.id).name == "Ann"
    # The reader writes too, and the writer compacts in between: nobody loses anything.
    writer.store.compact(writer.doc)
    bob = reader.doc.members.add(name="Bob")
    writer.poll()
    assert {m.name for m in writer.doc.members} == {"Ann", "Bob"}
    assert reader.doc.members.get(bob.id).name == "Bob"
    reader.close()
    writer.close()
    final = home.open_group()
    assert {m.name for m in final.doc.members} == {"Ann", "Bob"}
    final.close()


def _one_chunk_of_changes(writer: OpenGroup, count: int) -> list[str]:
    """`count` edits made elsewhere and journaled as one chunk, as the node writes what a peer sent."""
    doc = writer.doc
    elsewhere = doc.fork()
    before = elsewhere.heads()
    names = [elsewhere.members.add(name=f"Peer {n}").name for n in range(count)]
    changes = elsewhere.with_automerge(lambda raw: changes_since(raw, before))
    assert len(changes) == count
    doc.apply_changes(changes)  # journaled: one CHANGES chunk holding all of them
    return names


def test_a_chunk_of_many_changes_is_merged_a_slice_at_a_time_and_nothing_is_lost(home: Home) -> None:
    writer = home.create_group("Maple")
    reader = Home(home.root).open_group()
    names = _one_chunk_of_changes(writer, 100)
    assert changes_in_last_chunk(home) == 100  # the peer's edits in one chunk, as the node writes them
    # A budget already spent still merges one slice per call: the rest waits, and nothing else moves.
    first = reader.doc.atomic(lambda: reader.store.poll(reader.doc, 0.0))
    waiting = reader.store.pending
    assert 0 < first < 100 and waiting
    # The writer compacts meanwhile: the reader's remaining slices are in the new file's snapshot.
    writer.store.compact(writer.doc)
    reader.poll(sliced=True)
    assert not reader.store.pending
    assert {m.name for m in reader.doc.members} >= set(names)
    assert reader.doc.heads() == writer.doc.heads()
    reader.close()
    writer.close()


def test_a_sliced_poll_merges_a_whole_chunk_in_order(home: Home) -> None:
    writer = home.create_group("Maple")
    reader = Home(home.root).open_group()
    names = _one_chunk_of_changes(writer, 60)
    assert reader.poll(sliced=True) == 60
    assert not reader.store.pending
    assert [m.name for m in sorted(reader.doc.members, key=lambda m: int(m.name.split()[-1]))] == names
    assert reader.doc.heads() == writer.doc.heads()
    reader.close()
    writer.close()


def open_files() -> set[str]:
    """What this process's descriptors point at (the one listing the directory gone already)."""
    held = set()
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):
            held.add(os.readlink(f"/proc/self/fd/{fd}"))
    return held


def changes_in_last_chunk(home: Home) -> int:
    """How many Automerge changes the last chunk of the group's store file holds."""
    path = next(home.root.glob("groups/*")) / STORE_FILE
    last = scan_chunks(path.read_bytes(), read_header(path).size).chunks[-1]
    assert last.kind == CHANGES
    return len(split_changes(last.payload))


WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from magnet.home import Home

    home = Home(Path(sys.argv[1]))
    group = home.open_group()
    tag, count = sys.argv[2], int(sys.argv[3])
    compact_every = int(sys.argv[4]) if len(sys.argv) > 4 else 0
    item = group.doc.inventory.all()[0]
    for n in range(count):
        if n % 3 == 0:
            record = group.doc.members.add(name=f"{tag}-{n}")
            print(f"member {record.id}", flush=True)
        elif n % 3 == 1:
            group.doc.inventory.adjust(item.id, "quantity", 1)
            print("adjust", flush=True)
        else:
            group.doc.members.update(record.id, zone=f"z{n}")
            print(f"zone {record.id} z{n}", flush=True)
        if compact_every and n % compact_every == 0:
            group.store.compact(group.doc)
        group.poll()
    group.close()
    """
)


def _writer(tmp_path: Path, home: Home, tag: str, count: int, compact_every: int = 0) -> subprocess.Popen[str]:
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    return subprocess.Popen(
        [sys.executable, str(script), str(home.root), tag, str(count), str(compact_every)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_two_processes_writing_at_once_lose_nothing(tmp_path: Path, home: Home) -> None:
    group = home.create_group("Maple")
    item = group.doc.inventory.add(name="Water", quantity=0)
    group.close()
    procs = [_writer(tmp_path, home, tag, 90, compact_every=25) for tag in ("a", "b")]
    for proc in procs:
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
    final = home.open_group()
    names = {m.name for m in final.doc.members}
    assert {f"a-{n}" for n in range(0, 90, 3)} <= names
    assert {f"b-{n}" for n in range(0, 90, 3)} <= names
    assert final.doc.inventory.get(item.id).quantity == 60
    assert final.report.problems == []
    final.close()


@pytest.mark.slow
def test_sigkill_at_random_moments_never_loses_an_acknowledged_edit(tmp_path: Path, home: Home) -> None:
    group = home.create_group("Maple")
    group.doc.inventory.add(name="Water", quantity=0)
    group.close()
    acknowledged_members: set[str] = set()
    zones: dict[str, str] = {}
    adjustments = 0
    rng = random.Random(1234)
    for round_no in range(12):
        proc = _writer(tmp_path, home, f"r{round_no}", 100_000, compact_every=rng.choice([0, 40]))
        assert proc.stdout is not None
        deadline = time.monotonic() + rng.uniform(0.2, 0.8)
        lines: list[str] = []
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
        proc.kill()  # SIGKILL on POSIX
        rest, _ = proc.communicate()
        lines.extend(rest.splitlines(keepends=True))
        # Only lines fully written were acknowledged.
        for line in lines:
            if not line.endswith("\n"):
                continue
            parts = line.split()
            if parts[0] == "member":
                acknowledged_members.add(parts[1])
            elif parts[0] == "adjust":
                adjustments += 1
            elif parts[0] == "zone":
                zones[parts[1]] = parts[2]
        reopened = home.open_group()
        members = {m.id: m for m in reopened.doc.members}
        assert acknowledged_members <= set(members)
        for member_id, zone in zones.items():
            assert members[member_id].zone == zone
        assert reopened.doc.inventory.all()[0].quantity >= adjustments
        reopened.close()
    assert len(acknowledged_members) > 30


FULL_DISK = textwrap.dedent(
    """
    import resource, signal, sys
    from pathlib import Path
    from magnet.errors import StoreError
    from magnet.home import Home

    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    group = Home(Path(sys.argv[1])).open_group()
    ann = group.doc.members.add(name="Ann")
    size = group.store.path.stat().st_size
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (size + 10, hard))
    try:
        group.doc.members.update(ann.id, notes="x" * 5000)
    except StoreError as exc:
        print("refused:", exc)
    assert group.doc.unsaved
    resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
    group.doc.flush()
    assert not group.doc.unsaved
    print("flushed")
    """
)


@pytest.mark.skipif(sys.platform == "win32", reason="the full disk is made with a POSIX file-size limit")
def test_a_full_disk_is_a_clear_error_and_the_change_is_written_later(tmp_path: Path, home: Home) -> None:
    home.create_group("Maple").close()
    script = tmp_path / "full.py"
    script.write_text(FULL_DISK)
    result = subprocess.run([sys.executable, str(script), str(home.root)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "refused: could not save" in result.stdout
    assert "flushed" in result.stdout
    reopened = home.open_group()
    assert reopened.doc.members.all()[0].notes == "x" * 5000
    assert reopened.report.problems == []
    reopened.close()


def test_store_files_are_private(home: Home) -> None:
    group = home.create_group("Maple")
    for path in (group.store.path, group.path, home.root / "device.key"):
        assert os.stat(path).st_mode & 0o077 == 0, path
    assert read_header(group.store.path).meta["group_id"] == group.doc.group_id
    group.close()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_damage_after_the_snapshot_keeps_everything_before_it(
    tmp_path_factory: pytest.TempPathFactory, data: st.DataObject
) -> None:
    home = Home(tmp_path_factory.mktemp("fuzz"))
    group = home.create_group("Maple")
    ends = [group.store.path.stat().st_size]
    names = []
    for i in range(6):
        names.append(f"M{i}")
        group.doc.members.add(name=names[-1])
        ends.append(group.store.path.stat().st_size)
    group.close()
    path = group.store.path
    original = path.read_bytes()
    damage = data.draw(st.sampled_from(["truncate", "flip", "garbage"]))
    fraction = data.draw(st.integers(min_value=0, max_value=9999))
    xor = data.draw(st.integers(1, 255))
    garbage = data.draw(st.binary(min_size=1, max_size=64))
    at = ends[0] + (len(original) - ends[0]) * fraction // 10000
    if damage == "truncate":
        damaged = original[:at]
    elif damage == "flip":
        damaged = original[:at] + bytes([original[at] ^ xor]) + original[at + 1 :]
    else:
        damaged = original[:at] + garbage + original[at:]
    path.write_bytes(damaged)
    reopened = home.open_group()
    intact = sum(1 for end in ends[1:] if end <= at)
    loaded = {m.name for m in reopened.doc.members}
    assert set(names[:intact]) <= loaded
    if at < len(original) and not (damage == "truncate" and at in ends):
        assert reopened.report.problems  # a cut at a chunk boundary is just a shorter store
    reopened.doc.members.add(name="after")
    reopened.close()
    assert "after" in {m.name for m in Home(home.root).open_group().doc.members}


WATCHER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from magnet.home import Home

    group = Home(Path(sys.argv[1])).open_group()
    print("ready", flush=True)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if group.poll() and any(m.name == "Ann" for m in group.doc.members):
            print("seen", flush=True)
            break
        time.sleep(0.3)
    group.close()
    """
)


def test_a_running_process_sees_a_cli_change_within_a_second(tmp_path: Path, home: Home) -> None:
    home.create_group("Maple").close()
    script = tmp_path / "watch.py"
    script.write_text(WATCHER)
    watcher = subprocess.Popen([sys.executable, str(script), str(home.root)], stdout=subprocess.PIPE, text=True)
    assert watcher.stdout is not None
    assert watcher.stdout.readline().strip() == "ready"
    started = time.monotonic()
    adder = subprocess.run(
        [sys.executable, "-m", "magnet", "--home", str(home.root), "add", "members", "name=Ann"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert adder.returncode == 0, adder.stderr
    committed = time.monotonic()
    assert watcher.stdout.readline().strip() == "seen"
    seen = time.monotonic()
    watcher.wait(timeout=10)
    assert seen - committed < 1.0, (
        f"picked up {seen - committed:.2f} s after the commit (add took {committed - started:.2f} s)"
    )


@given(st.lists(st.binary(max_size=40), max_size=6), st.binary(max_size=30))
@settings(max_examples=200, deadline=None)
def test_splitting_a_chunk_into_changes_never_loses_or_invents_a_byte(pieces: list[bytes], junk: bytes) -> None:
    """Whatever a chunk holds, its parts put back together are exactly it (damage goes to Automerge whole)."""
    from automerge.core import ROOT, Document, ScalarType

    doc = Document()
    for n, piece in enumerate(pieces):
        with doc.transaction() as tx:
            tx.put(ROOT, f"k{n}", ScalarType.Bytes, piece)
    changes = changes_since(doc, [])
    data = b"".join(changes)
    assert split_changes(data) == (changes or [data])
    for damaged in (data + junk, junk + data, data[: len(data) // 2]):
        assert b"".join(split_changes(damaged)) == damaged


def test_a_poll_thread_still_running_when_the_group_closes_stops_and_keeps_nothing_open(home: Home) -> None:
    """The app's poll thread can be between two slices when the app quits."""
    import threading

    writer = home.create_group("Maple")
    reader = Home(home.root).open_group()
    names = _one_chunk_of_changes(writer, 200)
    writer.close()
    merged = reader.doc.atomic(lambda: reader.store.poll(reader.doc, 0.0))
    assert merged < 200 and reader.store.pending  # the poll thread is mid-chunk...
    closing = threading.Thread(target=reader.close)
    closing.start()  # ...when the app quits
    polled = reader.poll(sliced=True)
    closing.join()
    assert polled <= 200 - merged
    later = home.open_group()  # another process goes on writing
    later.doc.members.add(name="Later")
    later.store.close()
    assert reader.poll(sliced=True) == 0  # a closed group reads nothing more, so it races nobody
    store = next(home.root.glob(f"groups/*/{STORE_FILE}")).resolve()
    assert str(store) not in open_files()  # a poll after close reopened the store before
    final = home.open_group()
    assert {m.name for m in final.doc.members} >= {*names, "Later"}
    final.close()


def test_what_was_read_is_merged_even_when_the_store_file_is_gone_meanwhile(home: Home) -> None:
    writer = home.create_group("Maple")
    reader = Home(home.root).open_group()
    names = _one_chunk_of_changes(writer, 100)
    writer.close()
    reader.doc.atomic(lambda: reader.store.poll(reader.doc, 0.0))
    path = next(home.root.glob(f"groups/*/{STORE_FILE}"))
    path.rename(path.with_name("moved-away"))  # a person tidying up, a failing disk
    import threading

    polling = threading.Thread(target=reader.poll, kwargs={"sliced": True}, daemon=True)
    polling.start()
    polling.join(timeout=20)
    assert not polling.is_alive()  # it used to wait for the file forever
    assert {m.name for m in reader.doc.members} >= set(names)
    reader.store.close()
