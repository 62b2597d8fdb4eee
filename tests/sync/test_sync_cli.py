"""The sync commands as people run them: real processes, real data dirs, real sockets on 127.0.0.1."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from magnet.home import Home, OpenGroup
from sync.runfile import running_port

pytestmark = pytest.mark.slow


def magnet(home: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "magnet", "--home", str(home), *args],
        capture_output=True,
        text=True,
        timeout=90,
        stdin=subprocess.DEVNULL,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"magnet {' '.join(args)} failed: {result.stderr}")
    return result


def wait_for(condition: object, within: float = 20.0, what: str = "the condition") -> None:
    deadline = time.monotonic() + within
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def group_dir(home: Path) -> Path:
    [info] = Home(home).groups()
    return info.path


class Served:
    def __init__(self, process: subprocess.Popen[str], log: Path, home: Path) -> None:
        self.process, self.log, self.home = process, log, home

    @property
    def port(self) -> int:
        port = running_port(group_dir(self.home))
        assert port is not None
        return port

    def text(self) -> str:
        return self.log.read_text()


@contextmanager
def serve(home: Path, *args: str) -> Iterator[Served]:
    log = home.parent / f"{home.name}-serve-{time.monotonic_ns()}.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "magnet", "--home", str(home), "serve", "--port", "0", "--keepalive", "0.5", *args],
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
        )
    served = Served(process, log, home)
    try:
        wait_for(lambda: running_port(group_dir(home)) is not None or process.poll() is not None, what="serve")
        assert process.poll() is None, log.read_text()
        yield served
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
                raise


def opened(home: Path) -> OpenGroup:
    return Home(home).open_group()


def test_invite_join_sync_and_revoke_from_the_command_line(tmp_path: Path) -> None:
    ann, bob, carl = tmp_path / "ann", tmp_path / "bob", tmp_path / "carl"
    magnet(ann, "init", "Maple Street MAG", "--me", "Ann Lee")
    with serve(ann) as ann_serve:
        code = magnet(ann, "invite", "--quiet").stdout.strip()
        assert code.startswith("MAGNET:") and "\n" not in code
        joined = magnet(bob, "join", code, "--me", "Bob Diallo", "--name", "bobs-laptop")
        assert "Joined 'Maple Street MAG' as Bob Diallo" in joined.stdout
        again = magnet(carl, "join", code, "--me", "Carl", check=False)
        assert again.returncode == 1 and "already used" in again.stderr
        assert "Bob Diallo" in magnet(ann, "devices").stdout
        assert "Bob Diallo joined" in ann_serve.text()

        bob_group = opened(bob)
        try:
            with serve(bob) as bob_serve:  # no address given: Bob remembers Ann's from the join
                dora = magnet(ann, "add", "members", "name=Dora Finch", "zone=C").stdout.strip()
                wait_for(lambda: bob_group.poll() >= 0 and bob_group.doc.members.find(dora) is not None, what="Dora")
                wait_for(lambda: "bobs-laptop" in magnet(ann, "devices").stdout, what="Bob's device name on Ann's")

                revoked = magnet(ann, "revoke", Home(bob).device.device_id[:10])
                assert "Revoked bobs-laptop" in revoked.stdout and "epoch 1" in revoked.stdout
                wait_for(lambda: "revoked" in bob_serve.text(), what="Bob's node dropped")
                late = magnet(bob, "add", "members", "name=After Revocation").stdout.strip()
                ann_group = opened(ann)
                try:
                    assert ann_group.doc.members.find(late) is None
                    assert ann_group.doc.devices.filter(device_id=Home(bob).device.device_id)[0].revoked
                finally:
                    ann_group.close()
        finally:
            bob_group.close()
    assert ann_serve.process.returncode == 0, ann_serve.text()[-3000:]
    assert "stopped; everything received is saved" in ann_serve.text()
    assert "revoked" in magnet(ann, "devices").stdout


def test_a_pi_joins_as_a_shared_device_that_speaks_for_nobody_and_syncs(tmp_path: Path) -> None:
    ann, pi = tmp_path / "ann", tmp_path / "pi"
    magnet(ann, "init", "Maple Street MAG", "--me", "Ann Lee")
    with serve(ann, "--no-discovery") as ann_serve:
        code = magnet(ann, "invite", "--quiet").stdout.strip()
        joined = magnet(pi, "join", code, "--name", "rally-point-pi")  # as the README's Pi steps say
        assert "Joined 'Maple Street MAG' as the shared device 'rally-point-pi'" in joined.stdout
        assert "shared device 'rally-point-pi' joined" in ann_serve.text()
        ann_group = opened(ann)
        try:
            [device] = ann_group.doc.devices.filter(device_id=Home(pi).device.device_id)
            assert (device.name, device.member_id) == ("rally-point-pi", "")
            assert [m.name for m in ann_group.doc.members.all()] == ["Ann Lee"], "no member made up for a Pi"
        finally:
            ann_group.close()
        pi_group = opened(pi)
        try:
            with serve(pi, "--no-discovery"):
                eve = magnet(ann, "add", "members", "name=Eve Ramos").stdout.strip()
                wait_for(lambda: pi_group.poll() >= 0 and pi_group.doc.members.find(eve) is not None, what="Eve")
        finally:
            pi_group.close()


def test_a_device_can_join_with_its_store_encrypted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ann, eve = tmp_path / "ann", tmp_path / "eve"
    magnet(ann, "init", "Maple Street MAG", "--me", "Ann Lee")
    secret_name = "Zelda Quintessence"
    magnet(ann, "add", "members", f"name={secret_name}", "medical_notes=insulin")
    with serve(ann, "--no-discovery"):
        code = magnet(ann, "invite", "--quiet").stdout.strip()
        monkeypatch.setenv("MAGNET_PASSPHRASE", "correct horse battery staple")
        joined = magnet(eve, "join", code, "--me", "Eve", "--encrypt")
    assert "encrypted" in joined.stdout
    store = next((eve / "groups").glob("*/store.mgn"))
    assert secret_name.encode() not in store.read_bytes()
    assert secret_name in magnet(eve, "list", "members").stdout
    monkeypatch.setenv("MAGNET_PASSPHRASE", "wrong")
    assert "passphrase" in magnet(eve, "list", "members", check=False).stderr


def test_a_short_code_is_typed_and_the_inviter_found_by_mdns(tmp_path: Path) -> None:
    ann, cleo = tmp_path / "ann", tmp_path / "cleo"
    magnet(ann, "init", "Maple Street MAG", "--me", "Ann Lee")
    with serve(ann) as ann_serve:
        lines = magnet(ann, "invite", "--short", "--quiet").stdout.split()
        assert len(lines) == 2 and lines[1][2] == "-"
        joined = magnet(cleo, "join", lines[1].lower(), "--me", "Cleo")  # as typed, no address
        assert "Joined 'Maple Street MAG' as Cleo" in joined.stdout
        assert "Cleo joined" in ann_serve.text()


def test_a_wrong_or_expired_invite_says_so(tmp_path: Path) -> None:
    ann, dan = tmp_path / "ann", tmp_path / "dan"
    magnet(ann, "init", "Maple Street MAG", "--me", "Ann Lee")
    with serve(ann, "--no-discovery") as served:
        code = magnet(ann, "invite", "--quiet", "--expires", "1s").stdout.strip()
        issued = time.time()
        wait_for(lambda: time.time() > issued + 1.5, what="the invite to expire")
        expired = magnet(dan, "join", code, "--me", "Dan", check=False)
        assert expired.returncode == 1 and "expired" in expired.stderr
        mistyped = magnet(dan, "join", code[:-3] + "AAA", "--me", "Dan", check=False)
        assert mistyped.returncode == 1 and "mistyped" in mistyped.stderr
        short = magnet(ann, "invite", "--short", "--quiet").stdout.split()[1]
        wrong = short[:-1] + ("0" if short[-1] != "0" else "1")
        typo = magnet(dan, "join", wrong, "--me", "Dan", "--address", f"127.0.0.1:{served.port}", check=False)
        assert typo.returncode == 1 and "did not match" in typo.stderr
        assert not (dan / "groups").exists() or not any((dan / "groups").iterdir())


def test_serve_refuses_to_run_twice_on_one_data_dir_and_invite_warns_without_it(tmp_path: Path) -> None:
    ann = tmp_path / "ann"
    magnet(ann, "init", "Maple Street MAG")
    assert "No sync runs for this group here" in magnet(ann, "invite").stdout
    with serve(ann):
        second = magnet(ann, "serve", "--port", "0", check=False)
        assert second.returncode == 1 and "already runs" in second.stderr
        assert "No sync runs" not in magnet(ann, "invite").stdout
    assert os.environ["MAGNET_INTERFACES"] == "127.0.0.1"


def test_a_bad_inviter_address_is_refused_before_anything_happens(tmp_path: Path) -> None:
    ann, cleo = tmp_path / "ann", tmp_path / "cleo"
    magnet(ann, "init", "Maple Street MAG", "--me", "Ann Lee")
    code = magnet(ann, "invite", "--quiet").stdout.strip()
    result = magnet(cleo, "join", code, "--address", "Cleo Park", "--me", "Cleo", check=False)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "magnet: error: --address 'Cleo Park': an address looks like 192.168.1.20:7787 (host:port)"
    )


def test_a_copy_damaged_beyond_reading_is_replaced_by_joining_again(tmp_path: Path) -> None:
    ann, bob = tmp_path / "ann", tmp_path / "bob"
    magnet(ann, "init", "Maple Street MAG", "--me", "Ann Lee")
    magnet(ann, "add", "members", "name=Dora Finch")
    with serve(ann, "--no-discovery"):
        magnet(bob, "join", magnet(ann, "invite", "--quiet").stdout.strip(), "--me", "Bob Diallo")
        store = group_dir(bob) / "store.mgn"
        damaged = bytearray(store.read_bytes())
        for i in range(200, 260):  # inside the snapshot: its checksum no longer matches
            damaged[i] ^= 0xFF
        store.write_bytes(bytes(damaged))
        refused = magnet(bob, "list", "members", check=False)
        assert refused.returncode == 1
        assert "cannot be read" in refused.stderr and "'magnet join CODE' here" in refused.stderr

        again = magnet(bob, "join", magnet(ann, "invite", "--quiet").stdout.strip(), "--me", "Bob Diallo")
        assert "Joined 'Maple Street MAG'" in again.stdout
    assert "Dora Finch" in magnet(bob, "list", "members").stdout
    [kept] = list(group_dir(bob).glob("store.mgn.damaged-*"))
    assert kept.read_bytes() == bytes(damaged), "the damaged copy is kept, untouched"
