"""Sealed bundles: only the group's own devices open them; strangers and tampering get a clear no."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from magnet.cli import main
from magnet.errors import MagnetError
from magnet.formats.importing import import_file
from magnet.formats.sealed import SEALED_MAGIC, is_sealed
from magnet.groupkey import KeyRing
from magnet.home import Home


def cli(home: Path, *args: str) -> int:
    return main(["--home", str(home), *args])


def group_path(home: Path) -> Path:
    [info] = Home(home).groups()
    return info.path


def heads(home: Path) -> list[bytes]:
    group = Home(home).open_group()
    try:
        return sorted(group.doc.heads())
    finally:
        group.close()


def neighbor_of(a: Path, b: Path, stick: Path) -> None:
    """`b` holds `a`'s group and its keys, as a device that joined does."""
    plain = stick / "first.mgb"
    assert cli(a, "export", "--format", "bundle", "-o", str(plain)) == 0
    Home(b).adopt_group(plain.read_bytes()).close()
    KeyRing.load(group_path(a)).save(group_path(b))
    plain.unlink()


@pytest.fixture
def dirs(tmp_path: Path) -> tuple[Path, Path, Path]:
    a, b, stick = tmp_path / "a", tmp_path / "b", tmp_path / "stick"
    stick.mkdir()
    assert cli(a, "init", "Maple Street MAG", "--me", "Ann Lee") == 0
    assert cli(a, "add", "members", "name=Zelda Quintessence", "medical_notes=insulin twice daily") == 0
    neighbor_of(a, b, stick)
    return a, b, stick


def test_a_sealed_bundle_hides_the_group_and_merges_on_its_devices(
    dirs: tuple[Path, Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    a, b, stick = dirs
    assert cli(b, "add", "members", "name=Bob From B") == 0
    sealed = stick / "from-b.mgb"
    assert cli(b, "export", "--format", "bundle", "--seal", "-o", str(sealed)) == 0
    assert "only this group's devices" in capsys.readouterr().err
    data = sealed.read_bytes()
    assert data.startswith(SEALED_MAGIC) and is_sealed(data)
    for secret in (b"Zelda", b"Quintessence", b"insulin", b"Bob From B", b"Maple Street"):
        assert secret not in data

    assert cli(a, "import", str(sealed)) == 0
    assert "members: 1 added" in capsys.readouterr().out
    assert cli(a, "import", str(sealed)) == 0  # the same stick twice changes nothing
    assert "nothing new" in capsys.readouterr().out.lower()
    assert heads(a) == heads(b)


def test_strangers_old_keys_and_tampering_are_refused_and_change_nothing(
    dirs: tuple[Path, Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a, b, stick = dirs
    sealed = stick / "from-a.mgb"
    assert cli(a, "export", "--format", "bundle", "--seal", "-o", str(sealed)) == 0
    before = heads(b)

    stranger = tmp_path / "stranger"
    assert cli(stranger, "init", "Oak Lane MAG") == 0
    capsys.readouterr()
    assert cli(stranger, "import", str(sealed)) == 1
    assert "sealed for another group" in capsys.readouterr().err

    tampered = stick / "tampered.mgb"
    data = bytearray(sealed.read_bytes())
    data[-40] ^= 0x01
    tampered.write_bytes(bytes(data))
    assert cli(b, "import", str(tampered)) == 1
    assert "integrity check" in capsys.readouterr().err
    cut = stick / "cut.mgb"
    cut.write_bytes(sealed.read_bytes()[:12])
    assert cli(b, "import", str(cut)) == 1
    assert "damaged or incomplete" in capsys.readouterr().err

    # After a revocation the group moves to a new epoch; a device that kept only the new keys
    # cannot open an old stick and says which key it lacks.
    with KeyRing.editing(group_path(a)) as ring:
        ring.rotate(Home(a).device, group_id=group_path(a).name)
    newer = stick / "newer.mgb"
    assert cli(a, "export", "--format", "bundle", "--seal", "-o", str(newer)) == 0
    assert cli(b, "import", str(newer)) == 1
    assert "epoch 1, which this device does not hold" in capsys.readouterr().err
    assert heads(b) == before


def test_a_sealed_bundle_needs_the_groups_keys_to_merge(dirs: tuple[Path, Path, Path]) -> None:
    a, b, stick = dirs
    sealed = stick / "s.mgb"
    assert cli(a, "export", "--format", "bundle", "--seal", "-o", str(sealed)) == 0
    group = Home(b).open_group()
    try:
        with pytest.raises(MagnetError, match="merge it on one of the group's devices"):
            import_file(group.doc, sealed, kind=None, skip_invalid=False)
        with pytest.raises(MagnetError, match="--kind is for CSV"):
            import_file(group.doc, sealed, kind="members", skip_invalid=False, keys=lambda: KeyRing.load(group.path))
    finally:
        group.close()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cut=st.integers(0, 400), flip=st.integers(0, 10_000), junk=st.binary(max_size=64))
def test_any_damage_to_a_sealed_bundle_is_a_clear_error(
    dirs: tuple[Path, Path, Path], cut: int, flip: int, junk: bytes
) -> None:
    a, b, stick = dirs
    sealed = stick / "s.mgb"
    if not sealed.exists():
        assert cli(a, "add", "members", "name=Bob From A") == 0
        assert cli(a, "export", "--format", "bundle", "--seal", "-o", str(sealed)) == 0
    data = bytearray(sealed.read_bytes())
    data[flip % len(data)] ^= 0x5A
    damaged = stick / "damaged.mgb"
    damaged.write_bytes(bytes(data[: max(len(SEALED_MAGIC), len(data) - cut)]) + junk)
    group = Home(b).open_group()
    try:
        before = sorted(group.doc.heads())
        with pytest.raises(MagnetError):
            import_file(group.doc, damaged, kind=None, skip_invalid=False, keys=lambda: KeyRing.load(group.path))
        assert sorted(group.doc.heads()) == before
    finally:
        group.close()
