"""A group shown from its read model at once, its whole document opened after, in place."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_upgrades import SCHEMA1, SCHEMA1_MEMBERS, restore

from magnet import readmodel
from magnet.document import DocChange, NeedsDocument
from magnet.home import Home, OpenGroup
from magnet.sample import create_demo_group
from magnet.sealing import ChunkSealer
from magnet.store import read_header
from magnet.unlock import SEALING_KEY


def _sample(home: Home) -> str:
    with create_demo_group(home) as group:
        return group.info.group_id


def _whole(group: OpenGroup) -> bool:
    return group.whole  # a call, so a type checker does not carry one answer over to the next


def _names(group: OpenGroup) -> list[str]:
    return sorted(m.name for m in group.doc.members.all())


def test_a_saved_group_reads_at_once_and_its_whole_document_opens_in_place(home: Home) -> None:
    group_id = _sample(home)
    with home.open_group(group_id) as full:
        expected = {c.name: sorted(r.id for r in c.all(include_archived=True)) for c in full.doc.collections()}
        profile = full.doc.profile
    group = home.begin_open(group_id)
    try:
        assert not _whole(group)
        doc = group.doc
        assert {c.name: sorted(r.id for r in c.all(include_archived=True)) for c in doc.collections()} == expected
        assert doc.profile == profile
        members_before = doc.members.all()
        heard: list[DocChange] = []
        doc.add_listener(heard.append)
        with pytest.raises(NeedsDocument):
            doc.members.add(name="Too Early")
        assert group.poll() == 0  # nothing to merge into a read model

        assert group.finish_opening() is True
        assert _whole(group) and group.doc is doc
        assert heard == []  # the document held exactly what the read model did: nothing to redo
        assert doc.members.all() == members_before  # the records already read are kept
        added = doc.members.add(name="Dee Park")
        assert heard and heard[-1].origin == "local"
        assert group.finish_opening() is False  # once
    finally:
        group.close()
    with home.open_group(group_id) as again:
        assert again.doc.members.get(added.id).name == "Dee Park"


def test_a_change_made_between_the_read_model_and_the_whole_document_is_heard(home: Home) -> None:
    group_id = _sample(home)
    group = home.begin_open(group_id)
    try:
        first = _names(group)
        with home.open_group(group_id) as other:  # another process commits meanwhile (the CLI)
            other.doc.members.add(name="Zed Quill")
        heard: list[DocChange] = []
        group.doc.add_listener(heard.append)
        assert "Zed Quill" not in _names(group)  # the read model as it was when read
        group.finish_opening()
        assert [h.collections for h in heard] == [None]  # anything may have changed: read again
        assert _names(group) == sorted([*first, "Zed Quill"])
    finally:
        group.close()


@pytest.mark.parametrize("missing", [False, True])
def test_a_group_without_a_current_read_model_opens_in_full(home: Home, missing: bool) -> None:
    group_id = _sample(home)
    if missing:
        (home.find(group_id).path / readmodel.FILE).unlink()
    with home.open_group(group_id) as other:
        other.doc.members.add(name="Zed Quill")  # the store moves on; its read model is written at close
        group = home.begin_open(group_id)
        try:
            assert _whole(group)
            assert "Zed Quill" in _names(group)
        finally:
            group.close()


def test_closing_before_the_whole_document_opened_leaves_the_store_as_it_was(home: Home) -> None:
    group_id = _sample(home)
    path = home.find(group_id).store_path
    before = path.read_bytes()
    group = home.begin_open(group_id)
    group.close()
    assert group.finish_opening() is False  # given up: a late writer thread opens nothing
    assert path.read_bytes() == before
    with home.open_group(group_id) as again:  # and nothing holds its lock
        assert again.doc.members.all()


def test_an_encrypted_group_reads_from_its_sealed_read_model(home: Home, tmp_path: Path) -> None:
    sealer, header = ChunkSealer.create("correct horse")
    with home.create_group("Sealed MAG", cipher=sealer, store_meta={SEALING_KEY: header}) as group:
        group.doc.members.add(name="Ann Lee")
        group_id = group.info.group_id
    info = home.find(group_id)
    cipher = ChunkSealer.unlock("correct horse", read_header(info.store_path).meta[SEALING_KEY])
    group = home.begin_open(info, cipher=cipher)
    try:
        assert not _whole(group)
        assert _names(group) == ["Ann Lee"]
        group.finish_opening()
        assert _whole(group)
        group.doc.members.add(name="Bo Reyes")
    finally:
        group.close()
    assert b"Bo Reyes" not in info.store_path.read_bytes()


def test_a_group_an_earlier_release_wrote_is_shown_from_its_read_model_after_its_first_open(tmp_path: Path) -> None:
    home = Home(restore(SCHEMA1 / "ann", tmp_path / "ann"))  # no read model: that release wrote none
    first = home.begin_open(None)
    try:
        assert _whole(first)  # opened in full, and brought forward to this schema
        expected = {c.name: sorted(c.all(include_archived=True), key=lambda r: r.id) for c in first.doc.collections()}
    finally:
        first.close()
    again = home.begin_open(None)
    try:
        assert not _whole(again)
        shown = {c.name: sorted(c.all(include_archived=True), key=lambda r: r.id) for c in again.doc.collections()}
        assert shown == expected
        assert {m.name for m in again.doc.members.all()} == SCHEMA1_MEMBERS
        assert again.finish_opening() and again.doc.members.all()
    finally:
        again.close()
