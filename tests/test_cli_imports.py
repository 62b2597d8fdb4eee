"""Each command imports only what it needs: the app, the network and key crypto stay unloaded.

Start-up time is what people feel on a Raspberry Pi: `magnet --version`, `magnet groups` and
`magnet list` must not pay for Textual, zeroconf or the Noise channel (bench/cli_startup.py
prints the times). Each command runs in a fresh interpreter that reports what it loaded.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from magnet.home import Home

ROOT = Path(__file__).resolve().parent.parent

REPORT = """
import contextlib, io, json, sys
from magnet.cli import main
with contextlib.redirect_stdout(io.StringIO()):
    try:
        code = main(sys.argv[1:])
    except SystemExit as exc:  # --version exits through argparse
        code = exc.code
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""

APP_AND_NETWORK = {"textual", "rich", "screens", "sync", "zeroconf", "ifaddr", "noise", "spake2", "segno", "asyncio"}


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("home")
    group = Home(path).create_group("Maple Street")
    group.doc.members.add(name="Ann Lee")
    group.close()
    return path


def loaded_by(home: Path, *argv: str) -> set[str]:
    """Every module `magnet ARGV` loaded, and the top-level package of each."""
    env = {**os.environ, "MAGNET_HOME": str(home)}
    result = subprocess.run(
        [sys.executable, "-c", REPORT, *argv], capture_output=True, text=True, cwd=ROOT, env=env, timeout=60
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["code"] == 0, result.stderr
    return set(report["modules"]) | {name.split(".")[0] for name in report["modules"]}


def test_version_loads_nothing_of_the_document_the_app_or_the_network(home: Path) -> None:
    loaded = loaded_by(home, "--version")
    assert loaded & (APP_AND_NETWORK | {"automerge", "cryptography", "msgpack"}) == set()
    assert "magnet.records" not in loaded  # the record types are for commands that read records


def test_groups_reads_the_data_dir_without_cryptography(home: Path) -> None:
    loaded = loaded_by(home, "groups")
    assert loaded & (APP_AND_NETWORK | {"cryptography"}) == set()


def test_list_reads_the_read_model_without_the_document_or_the_record_classes(home: Path) -> None:
    loaded = loaded_by(home, "list", "members")
    assert "msgpack" in loaded  # the check itself sees what a command loads: the read model was read
    heavy = {"automerge", "cryptography", "dataclasses", "argparse", "logging", "magnet.records", "magnet.document"}
    assert loaded & (APP_AND_NETWORK | heavy) == set()


def test_list_and_export_load_the_document_but_not_the_app_or_the_network(home: Path) -> None:
    for argv in (["list", "members", "--format", "json"], ["export", "--format", "json"], ["info"]):
        loaded = loaded_by(home, *argv)
        assert "automerge" in loaded, argv  # the check itself sees what a command loads
        assert loaded & APP_AND_NETWORK == set(), argv


def test_joining_loads_neither_mdns_the_node_nor_the_qr_drawer() -> None:
    # A joining device's peak memory is counted against a bare load of the group it receives
    # (bench/scale.py): what only serving or showing a code needs stays out of `magnet join`.
    code = (
        "import json, sys, magnet.cli, sync.cli, sync.joining, sync.invite, sync.invitecode\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert result.returncode == 0, result.stderr
    loaded = {name.split(".")[0] for name in json.loads(result.stdout)} | set(json.loads(result.stdout))
    assert loaded & {"zeroconf", "segno", "sync.node", "sync.discovery", "sync.child", "textual"} == set()
