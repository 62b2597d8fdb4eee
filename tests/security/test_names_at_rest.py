"""With --encrypt, no group, member or device name is on the disk in the clear, nor in the log.

Two real devices join and sync with `magnet serve`; then every byte of both data dirs and both
logs is searched for the names. Unencrypted groups keep their names beside the store, as before.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from magnet.document import GroupDocument
from magnet.home import Home, OpenGroup
from magnet.lognames import NamesById
from magnet.unlock import PASSPHRASE_ENV, create_group, open_with_passphrase
from security.loopback import magnet_serve, wait_for
from sync.peerbook import PEERS_FILE, PeerBook
from sync.runfile import running_port

ROOT = Path(__file__).resolve().parent.parent.parent
PASSPHRASE = "correct horse battery staple"
GROUP = "Zanzibar Quokka MAG"
ANN, BOB, CARL = "Ophelia Quartermain", "Cornelius Wobblebottom", "Bartholomew Xylophone"
BOBS_LAPTOP = "Wobblebottom Thinkpad"


def magnet(home: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "magnet", "--home", str(home), *args],
        capture_output=True,
        text=True,
        input=stdin,
        timeout=90,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    return result


def group_dir(home: Path) -> Path:
    [info] = Home(home).groups()
    return info.path


@contextlib.contextmanager
def serving(home: Path, *args: str) -> Iterator[Path]:
    with magnet_serve(home, "--port", "0", "-v", *args) as (process, log):
        wait_for(lambda: running_port(group_dir(home)) is not None or process.poll() is not None, what="serve")
        assert process.poll() is None, log.read_text()
        yield log


def every_byte(*places: Path) -> dict[Path, bytes]:
    found: dict[Path, bytes] = {}
    for place in places:
        for path in [place] if place.is_file() else sorted(place.rglob("*")):
            if path.is_file():
                found[path] = path.read_bytes()
    return found


@pytest.mark.slow
def test_an_encrypted_group_keeps_no_name_in_the_clear_on_disk_or_in_the_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PASSPHRASE_ENV, PASSPHRASE)
    ann, bob = tmp_path / "ann", tmp_path / "bob"
    magnet(ann, "init", GROUP, "--me", ANN, "--encrypt")
    magnet(ann, "add", "members", f"name={CARL}", "zone=B")
    with serving(ann) as ann_log:
        code = magnet(ann, "invite", "--quiet").stdout.strip()
        magnet(bob, "join", "-", "--me", BOB, "--name", BOBS_LAPTOP, "--encrypt", stdin=code + "\n")
        port = running_port(group_dir(ann))
        with serving(bob, "--peer", f"127.0.0.1:{port}") as bob_log:
            wait_for((group_dir(bob) / PEERS_FILE).exists, what="Bob's node to remember Ann's")
            wait_for(lambda: "in sync with" in bob_log.read_text(), what="a sync")
            magnet(ann, "add", "members", "name=Dora Latecomer")
            wait_for(lambda: "Dora Latecomer" in magnet(bob, "list", "members").stdout, what="Dora on Bob's")
    names = [GROUP, ANN, BOB, CARL, BOBS_LAPTOP, "Dora Latecomer", f"{BOB}'s device"]
    hostname = socket.gethostname()
    if len(hostname) >= 4:
        names.append(hostname)  # Ann's device is named after the computer
    files = every_byte(ann, bob, ann_log, bob_log)
    assert {p.name for p in files} >= {"group.json", PEERS_FILE, "store.mgn", ann_log.name, bob_log.name}
    for name in names:
        for variant in {name, name.lower(), name.upper()}:
            leaks = [str(path) for path, data in files.items() if variant.encode() in data]
            assert leaks == [], f"{variant!r} in the clear in {leaks}"
    # The names are all there, behind the passphrase; the logs speak of the same people by id.
    assert {ANN, BOB, CARL} <= set(magnet(ann, "list", "members").stdout.replace("  ", "\n").splitlines())
    bob_id = Home(bob).device.readable_id
    ann_text = ann_log.read_text()
    assert f"device {bob_id}" in ann_text and "joined with device" in ann_text
    assert "serving group " in ann_text


def test_an_unencrypted_group_keeps_its_names_beside_the_store_as_before(home: Home) -> None:
    group = home.create_group(GROUP, member_name=ANN)
    book = PeerBook(group.path)
    book.seen("ab" * 16, address="127.0.0.1:7787", name=BOBS_LAPTOP)
    book.save()
    group.close()
    assert json.loads((group.path / "group.json").read_text())["name"] == GROUP
    assert PeerBook(group.path).peers["ab" * 16].name == BOBS_LAPTOP
    assert [g.name for g in home.groups()] == [GROUP]


def test_older_files_of_an_encrypted_group_still_open_and_lose_their_names(home: Home) -> None:
    group = create_group(home, GROUP, member_name=ANN, encrypt=True, passphrase=PASSPHRASE)
    path, group_id = group.path, group.info.group_id
    group.close()
    info_file, peers_file = path / "group.json", path / PEERS_FILE
    assert GROUP.encode() not in info_file.read_bytes()
    assert [g.label for g in home.groups()] == [f"group {group_id[:8]}"]
    # As a version before this one wrote them: the group's name and a device's, in the clear.
    info_file.write_text(json.dumps({"id": group_id, "name": GROUP, "encrypted": True}))
    entry = {"device_id": "ab" * 16, "addresses": ["127.0.0.1:7787"], "name": BOBS_LAPTOP, "last_seen": time.time()}
    peers_file.write_text(json.dumps({"version": 1, "peers": [entry]}))
    assert home.find(GROUP).group_id == group_id, "an old file is read as it is"
    book = PeerBook(path)
    assert book.peers["ab" * 16].addresses == ["127.0.0.1:7787"] and book.peers["ab" * 16].name == ""
    book.save()
    assert BOBS_LAPTOP.encode() not in peers_file.read_bytes()
    opened = open_with_passphrase(home, group_id[:8], PASSPHRASE)
    assert opened.info.name == GROUP, "once unlocked, the name is known again"
    opened.close()
    assert GROUP.encode() not in info_file.read_bytes(), "and no longer kept beside the store"
    assert home.find(group_id[:6]).encrypted


@contextlib.contextmanager
def filtered_log(doc: GroupDocument, name: str) -> Iterator[tuple[logging.Logger, io.StringIO]]:
    """Logger `name`, its lines written to the returned buffer through the document's NamesById."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.addFilter(NamesById.of(doc))
    log = logging.getLogger(name)
    log.addHandler(handler)
    log.propagate = False
    try:
        yield log, out
    finally:
        log.removeHandler(handler)


def test_the_log_filter_knows_a_member_the_moment_the_document_does(group: OpenGroup) -> None:
    with filtered_log(group.doc, "test.names") as (log, out):
        eve = group.doc.members.add(name="Eve Moreau")
        log.warning("%s joined; Evelyn did not", "Eve Moreau")  # read at once: no stale list
        [device] = group.doc.devices.all()
        log.warning("connected to 127.0.0.1:7787 (%s)", device.name)
        try:
            raise ValueError("EVE MOREAU sent garbage")
        except ValueError:
            log.exception("failed")
    text = out.getvalue()
    assert f"member {eve.id[:8]} joined; Evelyn did not" in text
    assert f"(device {group.home.device.readable_id})" in text and device.name not in text
    assert "ValueError: member" in text and "Moreau" not in text


@pytest.mark.parametrize("name", ["Jürgen Weiß", "Ayşe İnce", "ΣΊΣΥΦΟΣ Παπαδόπουλος"])
def test_names_whose_case_folded_spelling_differs_are_swapped_too(group: OpenGroup, name: str) -> None:
    """`re` does not match "ß" to "ss" or "İ" to "i̇": the folded spelling alone missed them."""
    with filtered_log(group.doc, "test.names.folded") as (log, out):
        member = group.doc.members.add(name=name)
        log.warning("%s joined with device 2dc90b74", name)
        log.warning("connected to 127.0.0.1:7787 (%s's device)", name)
    text = out.getvalue()
    assert text.count(f"member {member.id[:8]}") == 2
    assert name.rsplit(maxsplit=1)[-1] not in text


def test_a_device_record_whose_id_is_not_hex_breaks_neither_the_log_filter_nor_the_device_list(
    tmp_path: Path,
) -> None:
    """Any member's copy can carry such a record; names stay hidden and a lost device can still go."""
    home = tmp_path / "home"
    magnet(home, "init", GROUP, "--me", ANN)
    magnet(home, "add", "devices", "device_id=old-pi", f"name={BOBS_LAPTOP}")
    group = Home(home).open_group()
    try:
        filtered = NamesById.of(group.doc)
        record = logging.LogRecord("x", logging.INFO, __file__, 1, "%s joined", (CARL,), None)
        group.doc.members.add(name=CARL)  # joins after the odd record arrived
        filtered.filter(record)
        assert CARL not in record.getMessage()
    finally:
        group.close()
    listed = magnet(home, "devices").stdout
    assert "old-pi" in listed and BOBS_LAPTOP in listed
