"""A group stored encrypted at rest: nothing readable on disk, the right passphrase opens it."""

from __future__ import annotations

import pytest

from magnet.cli import main
from magnet.home import Home
from magnet.sealing import ChunkSealer, KdfParams, WrongPassphrase
from magnet.unlock import open_with_passphrase

FAST = KdfParams(memory_kib=8 * 1024, iterations=1, lanes=1)


def test_encrypted_store_hides_names_and_opens_with_the_passphrase(home: Home) -> None:
    sealer, header = ChunkSealer.create("correct horse", FAST)
    group = home.create_group("Secret Garden MAG", cipher=sealer, store_meta={"sealing": header})
    group.doc.members.add(name="Ann Lee", medical_notes="insulin in the fridge")
    group.close()
    raw = group.store.path.read_bytes()
    for plaintext in (b"Ann Lee", b"insulin", b"Secret Garden"):
        assert plaintext not in raw
    reopened = open_with_passphrase(home, None, "correct horse")
    assert reopened.doc.members.all()[0].medical_notes == "insulin in the fridge"
    reopened.doc.members.add(name="Bob")
    reopened.close()
    with pytest.raises(WrongPassphrase):
        open_with_passphrase(home, None, "wrong horse")
    again = open_with_passphrase(home, None, "correct horse")
    assert sorted(m.name for m in again.doc.members) == ["Ann Lee", "Bob"]
    again.close()


def test_cli_init_encrypt_and_scripts_unlock_with_the_environment(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MAGNET_PASSPHRASE", "a long passphrase")
    assert main(["init", "Maple", "--encrypt"]) == 0
    assert main(["add", "members", "name=Ann"]) == 0
    assert main(["groups"]) == 0
    assert "(encrypted)" in capsys.readouterr().out
    monkeypatch.setenv("MAGNET_PASSPHRASE", "not it")
    assert main(["list", "members"]) == 1
    assert "wrong passphrase" in capsys.readouterr().err
