"""The app shows a group from its read model; its node's process makes its writes and feeds every change back.

Real child processes (`magnet serve --control`), real stores, real read models: what the app's copy
reads after each step must equal a fresh read of the whole document.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import date, datetime
from typing import Any

import pytest
from automerge.core import ScalarType
from security.hostile import EVIL_GROUP, EVIL_NAME, write_raw

from magnet.document import CannotForward, GroupDocument
from magnet.errors import MagnetError, NotFound, ValidationError
from magnet.home import Home, OpenGroup
from magnet.sample import create_demo_group
from magnet.sealing import ChunkSealer
from magnet.store import read_header
from magnet.unlock import SEALING_KEY
from sync import calls
from sync.events import NodeConfig
from sync.process_node import NodeProcess

pytestmark = pytest.mark.slow


def wait_for(check: Callable[[], bool], what: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def records_of(doc: GroupDocument) -> dict[str, Any]:
    """Every collection and the profile, as the records read (what a screen shows)."""
    seen: dict[str, Any] = {"profile": doc.profile}
    for collection in doc.collections():
        seen[collection.name] = sorted(collection.all(include_archived=True), key=lambda r: r.id)
    return seen


def whole_records(home: Home) -> dict[str, Any]:
    with home.open_group(None) as fresh:
        return records_of(fresh.doc)


@pytest.fixture
def shown(home: Home) -> Iterator[tuple[OpenGroup, NodeProcess]]:
    """The sample group as the app shows it, with its node's process making its writes."""
    create_demo_group(home).close()
    group = home.begin_open(None)
    assert not group.whole
    node = NodeProcess(group, NodeConfig(port=0, interfaces=["127.0.0.1"], discovery=False))
    assert node.feeds
    group.doc.remote = node
    node.start()
    try:
        yield group, node
    finally:
        node.stop()
        group.close()


def test_every_write_a_screen_makes_is_made_by_the_node_and_fed_back(
    home: Home, shown: tuple[OpenGroup, NodeProcess]
) -> None:
    group, _ = shown
    doc = group.doc
    heard: list[tuple[str, frozenset[str] | None]] = []
    doc.add_listener(lambda change: heard.append((change.origin, change.collections)))

    fern = doc.members.add(name="Fern Ode", zone="C", skills="radio: certified", languages="English, Tagalog")
    assert fern.skills == {"radio": "certified"} and fern.languages == frozenset({"English", "Tagalog"})
    assert heard[-1] == ("local", frozenset({"members"}))
    twins = doc.members.add_many([{"name": "Gus Ode"}, {"name": "Hal Ode"}])
    assert [m.name for m in twins] == ["Gus Ode", "Hal Ode"]
    assert doc.members.update(fern.id, notes="Has a generator").notes == "Has a generator"
    assert doc.members.archive(twins[0].id).archived
    assert not doc.members.restore(twins[0].id).archived
    doc.members.purge(twins[1].id)
    assert doc.members.find(twins[1].id) is None
    water = doc.inventory.add(name="Water", category="water", unit="gal", quantity=10, expires=date(2027, 5, 1))
    assert doc.inventory.adjust(water.id, "quantity", -3).quantity == 7
    goal = doc.goals.add(name="Every household has a go-bag", target_date=date(2027, 3, 1))
    step = doc.goals.put_entry(goal.id, "milestones", title="Make a checklist", due=date(2027, 2, 1))
    assert step in doc.goals.get(goal.id).milestones
    doc.goals.remove_entry(goal.id, "milestones", step)
    event = doc.events.add(name="Radio drill", starts=datetime(2027, 1, 9, 10, 0))
    assert doc.events.get(event.id).starts == datetime(2027, 1, 9, 10, 0)
    assert doc.update_profile(name="Maple Street MAG").name == "Maple Street MAG"
    point = doc.put_rally_point(name="Oak Park gazebo")
    assert doc.profile.rally_points[point]["name"] == "Oak Park gazebo"

    assert not group.whole  # this process never opened the document
    assert records_of(doc) == whole_records(home)


def test_a_refused_write_raises_here_what_it_raises_there(shown: tuple[OpenGroup, NodeProcess]) -> None:
    group, _ = shown
    doc = group.doc
    before = records_of(doc)
    with pytest.raises(ValidationError) as refused:
        doc.members.add(name="")
    assert refused.value.field == "name" and refused.value.reason == "must not be empty"
    with pytest.raises(NotFound):
        doc.members.update("no-such-member", notes="x")
    with pytest.raises(ValidationError):
        doc.inventory.add(name="Rice", quantity=float("nan"))
    assert records_of(doc) == before


def test_changes_made_elsewhere_are_fed_and_a_large_one_comes_as_a_read_model(
    home: Home, shown: tuple[OpenGroup, NodeProcess]
) -> None:
    group, _ = shown
    doc = group.doc
    heard: list[frozenset[str] | None] = []
    doc.add_listener(lambda change: heard.append(change.collections))
    with home.open_group(None) as other:  # the CLI, or a script, on this data dir
        other.doc.members.add(name="Ivy Cole")
    wait_for(lambda: any(m.name == "Ivy Cole" for m in doc.members.all()), "the CLI's member")
    assert frozenset({"members"}) in heard
    with home.open_group(None) as other:
        other.doc.inventory.add_many([{"name": f"Can {n}", "quantity": 1} for n in range(calls.FEED_LIMIT + 20)])
    wait_for(
        lambda: len([i for i in doc.inventory.all() if i.name.startswith("Can ")]) == calls.FEED_LIMIT + 20, "cans"
    )
    assert None in heard  # too many to feed one by one: the read model was read again
    assert records_of(doc) == whole_records(home)


def test_without_a_node_the_whole_document_opens_here_and_the_write_is_made(home: Home) -> None:
    create_demo_group(home).close()
    group = home.begin_open(None)
    try:
        node = NodeProcess(group, NodeConfig(port=0, interfaces=["127.0.0.1"], discovery=False))
        node._tried.set()  # as after a start that failed
        group.doc.remote = node
        with pytest.raises(CannotForward):
            node.call("members", "add", (), {"name": "Nobody"})
        group.doc.open_whole = group.finish_opening
        added = group.doc.members.add(name="Jo Park")
        assert group.whole
        assert group.doc.members.get(added.id).name == "Jo Park"
    finally:
        group.close()
    assert any(m.name == "Jo Park" for m in whole_records(home)["members"])


def test_values_cross_the_pipe_exactly_and_garbage_is_refused() -> None:
    values = [
        [date(2027, 1, 2), datetime(2027, 1, 2, 3, 4, 5), frozenset({"b", "a"}), None, 1.5, float("inf")],
        {"nested": {"x": [1, "two", b"\x00\x01", True]}},
    ]
    assert calls.unpack(calls.pack(values)) == values
    for garbage in ["", "not base64!", calls.pack(1)[:-4] + "AAAA", 42, None]:
        with pytest.raises(ValueError):
            calls.unpack(garbage)
    with pytest.raises(TypeError):
        calls.pack([object()])


def test_the_node_makes_only_the_writes_a_screen_makes(home: Home) -> None:
    with create_demo_group(home) as group:
        args = calls.pack([[], {}])
        for target, op in [
            ("members", "with_automerge"),
            ("members", "__class__"),
            ("members", "_record_obj"),
            ("no_such_kind", "add"),
            ("group", "add"),
            ("group", "adopt"),
            ("members", "write_new"),
        ]:
            with pytest.raises(calls.CallRefused):
                calls.perform(group.doc, target, op, args)
        with pytest.raises(calls.CallRefused):
            calls.perform(group.doc, "members", "add", "not packed")
        error = calls.raised(calls.failure(ValidationError("zone", "is not a zone")))
        assert isinstance(error, ValidationError) and error.field == "zone"
        assert type(calls.raised({"type": "NotFound", "message": "gone"})) is NotFound
        assert type(calls.raised({"type": "SystemExit", "message": "x"})) is MagnetError
        assert type(calls.raised("garbage")) is MagnetError


def test_what_the_app_cannot_take_opens_the_whole_document_instead(home: Home) -> None:
    create_demo_group(home).close()
    group = home.begin_open(None)
    try:
        node = NodeProcess(group, NodeConfig(port=0, interfaces=["127.0.0.1"], discovery=False))
        group.doc.open_whole = group.finish_opening
        node._take_write({"records": "%%% not packed", "heads": []})
        assert group.whole
    finally:
        group.close()


def test_when_the_node_process_dies_the_app_opens_the_whole_document(home: Home) -> None:
    create_demo_group(home).close()
    group = home.begin_open(None)
    node = NodeProcess(group, NodeConfig(port=0, interfaces=["127.0.0.1"], discovery=False))
    group.doc.remote = node
    group.doc.open_whole = group.finish_opening
    try:
        node.start()
        assert node._process is not None
        node._process.kill()
        wait_for(lambda: group.whole, "the whole document opened here")
        assert group.doc.members.add(name="Nia Obi").name == "Nia Obi"  # made here now
    finally:
        node.stop()
        group.close()
    assert any(m.name == "Nia Obi" for m in whole_records(home)["members"])


def test_what_changed_before_the_node_started_is_fed_record_by_record(home: Home) -> None:
    create_demo_group(home).close()
    group = home.begin_open(None)
    heard: list[frozenset[str] | None] = []
    group.doc.add_listener(lambda change: heard.append(change.collections))
    with home.open_group(None) as other:  # the CLI writes after the app read its read model
        other.doc.members.add(name="Oz Pratt")
    node = NodeProcess(group, NodeConfig(port=0, interfaces=["127.0.0.1"], discovery=False))
    group.doc.remote = node
    try:
        node.start()  # its own first start also records its signing key on this device
        wait_for(lambda: any(m.name == "Oz Pratt" for m in group.doc.members.all()), "the CLI's member")
        assert heard and None not in heard  # records, not the whole read model again
        assert "members" in {name for change in heard if change is not None for name in change}
        assert records_of(group.doc) == whole_records(home)
    finally:
        node.stop()
        group.close()


def test_several_steps_made_at_once_do_not_wait_on_their_own_feed(shown: tuple[OpenGroup, NodeProcess]) -> None:
    group, _ = shown
    doc = group.doc
    made: list[str] = []

    def two_steps() -> None:  # as needs.match or a goal's toggle do: read, write, read, write
        first = doc.members.add(name="Pat One")
        made.append(doc.members.add(name="Pat Two", household_id=first.household_id).name)

    worker = threading.Thread(target=lambda: doc.atomic(two_steps), daemon=True)
    worker.start()
    worker.join(20)
    assert not worker.is_alive(), "the steps waited for a feed that waited for them"
    assert made == ["Pat Two"]


def test_an_encrypted_group_is_shown_and_written_the_same_way(home: Home) -> None:
    sealer, header = ChunkSealer.create("correct horse")
    with home.create_group("Sealed MAG", cipher=sealer, store_meta={SEALING_KEY: header}) as made:
        made.doc.members.add(name="Ann Lee")
    info = home.find(None)
    group = home.begin_open(
        info, cipher=ChunkSealer.unlock("correct horse", read_header(info.store_path).meta[SEALING_KEY])
    )
    assert not group.whole
    node = NodeProcess(group, NodeConfig(port=0, interfaces=["127.0.0.1"], discovery=False))
    group.doc.remote = node
    try:
        node.start()  # the data key goes over the pipe; the node's first start records its signing key
        added = group.doc.members.add(name="Bo Reyes")
        assert group.doc.members.get(added.id).name == "Bo Reyes"
        assert {m.name for m in group.doc.members.all()} == {"Ann Lee", "Bo Reyes"}
        assert not group.whole
    finally:
        node.stop()
        group.close()
    assert b"Bo Reyes" not in info.store_path.read_bytes()


def test_what_a_hostile_device_stored_is_fed_as_a_whole_reading_holds_it(
    home: Home, shown: tuple[OpenGroup, NodeProcess]
) -> None:
    # A peer's copy can hold anything: escape sequences in a name, text where a number belongs,
    # a value that is not a record at all. Fed to the app, it reads as the document reads it.
    group, _ = shown
    doc = group.doc
    member, item = doc.members.all()[0], doc.inventory.all()[0]
    with home.open_group(None) as peer:
        write_raw(peer.doc, "members", member.id, name=EVIL_NAME, zone="\x1b[2J")
        write_raw(peer.doc, "inventory", item.id, quantity="lots", minimum="\x07")
        write_raw(peer.doc, "group", "group", name=EVIL_GROUP)
        with peer.doc.change("members") as tx:
            tx.put(peer.doc.collection_obj("members"), "not-a-record", ScalarType.Str, "\x1b]0;x\x07")
    wait_for(lambda: doc.profile.name == EVIL_GROUP, "the peer's values")
    wait_for(lambda: doc.inventory.get(item.id).quantity == 0.0, "the item")
    assert doc.members.get(member.id).name == EVIL_NAME  # kept as stored: shown harmlessly, never obeyed
    assert doc.members.find("not-a-record") is None
    assert records_of(doc) == whole_records(home)
