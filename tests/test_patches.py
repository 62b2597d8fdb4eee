"""Reading Automerge's patches: paths, conflicts and object ids, from real documents."""

from __future__ import annotations

from automerge.core import ROOT, Document, ObjType, ScalarType
from hypothesis import given, settings
from hypothesis import strategies as st

from magnet import patches


def _diff(doc: Document, before: list[bytes]) -> list[patches.Patch]:
    return patches.parse_all(doc.diff(before, doc.get_heads()))


def test_a_field_edit_names_its_collection_record_and_field() -> None:
    doc = Document()
    with doc.transaction() as tx:
        members = tx.put_object(ROOT, "members", ObjType.Map)
        ann = tx.put_object(members, "0101e2f90ac97d7e", ObjType.Map)
        tx.put(ann, "name", ScalarType.Str, "Ann")
    before = doc.get_heads()
    with doc.transaction() as tx:
        tx.put(ann, "notes", ScalarType.Str, 'says "hi"\n')
    [patch] = _diff(doc, before)
    assert patch.path == ("members", "0101e2f90ac97d7e")
    assert patch.action == "PutMap" and patch.prop == "notes"
    assert patch.object_type is None and not patch.collides
    assert patch.obj.to_bytes() == ann
    assert patches.touched([patch]).records == {"members": {"0101e2f90ac97d7e"}}


def test_object_ids_from_patches_are_the_ids_the_binding_takes() -> None:
    doc = Document(actor_id=bytes(range(16)))
    with doc.transaction() as tx:
        for n in range(300):  # counters past one byte of LEB128
            tx.put(ROOT, "pad", ScalarType.Int, n)
        made = tx.put_object(ROOT, "inventory", ObjType.Map)
        item = tx.put_object(made, "a", ObjType.Map)
    before = doc.get_heads()
    with doc.transaction() as tx:
        tx.put(item, "quantity", ScalarType.F64, 2.0)
    [patch] = _diff(doc, before)
    assert patch.obj.to_bytes() == item
    assert patch.obj.counter > 300


def test_two_maps_made_at_one_key_are_reported_as_a_collision_on_both_sides() -> None:
    base = Document(actor_id=b"\x01" * 16)
    with base.transaction() as tx:
        tx.put(ROOT, "schema", ScalarType.Int, 1)
    other = base.fork()
    other.set_actor(b"\x02" * 16)
    with base.transaction() as tx:
        tx.put_object(ROOT, "members", ObjType.Map)
    with other.transaction() as tx:
        tx.put_object(ROOT, "members", ObjType.Map)
    here = base.fork()
    before_here, before_other = here.get_heads(), other.get_heads()
    here.merge(other)
    other.merge(base)
    for doc, before in ((here, before_here), (other, before_other)):
        found = [p for p in _diff(doc, before) if p.prop == "members"]
        assert found and all(p.collides for p in found)
        assert patches.touched(found).whole == {"members"}


def test_every_kind_of_value_and_action_parses() -> None:
    doc = Document()
    before = doc.get_heads()
    with doc.transaction() as tx:
        weird = tx.put_object(ROOT, 'we"ird\\key\n\x1b', ObjType.Map)
        items = tx.put_object(weird, "list", ObjType.List)
        tx.insert(items, 0, ScalarType.Str, "a")
        tx.put_object(weird, "text", ObjType.Text)
        tx.put(weird, "f", ScalarType.F64, float("nan"))
        tx.put(weird, "b", ScalarType.Bytes, b"\x00\x01")
        tx.put(weird, "n", ScalarType.Null, None)
        tx.put(weird, "u", ScalarType.Uint, 7)
    parsed = _diff(doc, before)
    assert {p.action for p in parsed} == {"PutMap", "Insert"}
    root_put = next(p for p in parsed if p.path == ())
    assert root_put.prop == 'we"ird\\key\n\x1b' and root_put.object_type == "Map"
    listed = next(p for p in parsed if p.action == "Insert")
    assert listed.path == ('we"ird\\key\n\x1b', "list") and listed.prop == 0
    before = doc.get_heads()
    with doc.transaction() as tx:
        tx.delete(weird, "f")
        tx.delete(items, 0)
    assert {p.action for p in _diff(doc, before)} == {"DeleteMap", "DeleteSeq"}


@settings(max_examples=60, deadline=None)
@given(st.text(min_size=1, max_size=12), st.text(min_size=1, max_size=12))
def test_any_key_text_comes_back_exactly(collection: str, key: str) -> None:
    doc = Document()
    before = doc.get_heads()
    with doc.transaction() as tx:
        obj = tx.put_object(ROOT, collection, ObjType.Map)
        tx.put(obj, key, ScalarType.Str, key)
    inner = next(p for p in _diff(doc, before) if p.path)
    assert inner.path == (collection,) and inner.prop == key
