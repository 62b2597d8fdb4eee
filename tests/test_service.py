"""`magnet service install`: the unit that keeps an always-on peer running, and what it runs.

Never the machine's own systemd: every install writes to a folder in tmp_path (--unit-dir), and
systemctl/loginctl are stand-ins first on PATH that only note how they were called.
"""

from __future__ import annotations

import os
import plistlib
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from magnet.cli import main
from magnet.home import Home
from magnet.service import (
    ServicePlan,
    install,
    launchd_plist,
    schtasks_command,
    systemd_quote,
    systemd_unit,
    user_id,
)

posix_only = pytest.mark.skipif(os.name == "nt", reason="the stand-in tools are shell scripts")


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "data dir"  # a space, as in many a real home
    Home(path).create_group("Maple Street").close()
    monkeypatch.setenv("MAGNET_HOME", str(path))
    return path


@pytest.fixture
def tools(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """systemctl and loginctl stand-ins: each call appended to calls.log, nothing else."""
    folder = tmp_path / "tools"
    folder.mkdir()
    for name in ("systemctl", "loginctl"):
        script = folder / name
        script.write_text(f'#!/bin/sh\necho "{name} $*" >> "{folder}/calls.log"\n')
        script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")
    return folder


def unit_values(unit: str, key: str) -> list[str]:
    return [line.split("=", 1)[1] for line in unit.splitlines() if line.startswith(f"{key}=")]


def test_the_unit_runs_this_interpreters_magnet_on_this_data_dir_and_restarts(home: Path) -> None:
    unit = systemd_unit(ServicePlan(home, ["--interface", "wlan0"]))
    [exec_start] = unit_values(unit, "ExecStart")
    assert shlex.split(exec_start) == [sys.executable, "-m", "magnet", "serve", "--interface", "wlan0"]
    assert f'"MAGNET_HOME={home}"' in unit_values(unit, "Environment")
    assert unit_values(unit, "EnvironmentFile") == [f"-{home}/service.env"]  # optional: '-'
    assert unit_values(unit, "Restart") == ["always"]
    assert unit_values(unit, "WantedBy") == ["default.target"]
    assert "User" not in unit  # a user unit runs as its user


def test_the_units_command_line_really_starts_magnet_on_that_data_dir(home: Path) -> None:
    unit = systemd_unit(ServicePlan(home))
    [exec_start] = unit_values(unit, "ExecStart")
    [environment] = [value for value in unit_values(unit, "Environment") if "MAGNET_HOME" in value]
    argv = shlex.split(exec_start)
    assert argv[-1] == "serve"
    [assignment] = shlex.split(environment)
    name, value = assignment.split("=", 1)
    env = {**os.environ, name: value}
    done = subprocess.run([*argv[:-1], "groups"], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "Maple Street" in done.stdout


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_accepts_the_unit_even_with_spaces_and_percent_signs(tmp_path: Path) -> None:
    odd = tmp_path / "50% of a $HOME"
    unit = tmp_path / "magnet.service"
    for system in (False, True):
        unit.write_text(systemd_unit(ServicePlan(odd, ["--interface", "wl an0"], system=system, user="pi")))
        done = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        assert str(unit) not in done.stderr, done.stderr  # no warning about our own lines
    assert systemd_quote("50% of", command=True) == '"50%% of"'
    assert systemd_quote("$HOME", command=True) == "$$HOME"
    assert systemd_quote("$HOME") == "$HOME"  # assignments expand no variables


def test_a_system_unit_waits_for_the_network_and_runs_as_the_user(home: Path) -> None:
    unit = systemd_unit(ServicePlan(home, system=True, user="pi"))
    assert unit_values(unit, "User") == ["pi"]
    assert unit_values(unit, "After") == ["network-online.target"]
    assert unit_values(unit, "WantedBy") == ["multi-user.target"]


@posix_only
def test_install_writes_the_unit_enables_it_and_says_so(
    home: Path, tools: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    units = tmp_path / "units"
    assert main(["service", "install", "--unit-dir", str(units), "--interface", "wlan0", "--keepalive", "10"]) == 0
    out = capsys.readouterr().out
    unit = (units / "magnet.service").read_text()
    assert unit == systemd_unit(ServicePlan(home.resolve(), ["--interface", "wlan0", "--keepalive", "10"]))
    calls = (tools / "calls.log").read_text().splitlines()
    user = ServicePlan(home).user
    assert calls == [
        "systemctl --user daemon-reload",
        "systemctl --user enable magnet.service",
        "systemctl --user restart magnet.service",
        f"loginctl enable-linger {user}",
    ]
    assert out.splitlines()[0] == f"Wrote {units / 'magnet.service'}"
    assert "Ran: systemctl --user enable magnet.service" in out
    assert "magnet serve runs now and at every boot; its log: journalctl --user -u magnet -f" in out


@posix_only
def test_dry_run_prints_the_unit_and_changes_nothing(
    home: Path, tools: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    units = tmp_path / "units"
    assert main(["service", "install", "--dry-run", "--unit-dir", str(units)]) == 0
    out = capsys.readouterr().out
    assert systemd_unit(ServicePlan(home.resolve())) in out
    assert "Would run: systemctl --user enable magnet.service" in out
    assert not units.exists()
    assert not (tools / "calls.log").exists()


@posix_only
def test_uninstall_stops_and_removes_it(
    home: Path, tools: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    units = tmp_path / "units"
    assert main(["service", "install", "--no-enable", "--unit-dir", str(units)]) == 0
    assert not (tools / "calls.log").exists()  # --no-enable: written only
    assert main(["service", "uninstall", "--unit-dir", str(units)]) == 0
    assert not (units / "magnet.service").exists()
    assert (tools / "calls.log").read_text().splitlines() == [
        "systemctl --user disable --now magnet.service",
        "systemctl --user daemon-reload",
    ]
    assert f"Removed {units / 'magnet.service'}" in capsys.readouterr().out
    assert main(["service", "uninstall", "--unit-dir", str(units)]) == 1  # nothing left to remove
    assert "no service to remove" in capsys.readouterr().err


def test_install_without_a_group_says_to_make_one_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MAGNET_HOME", str(tmp_path / "empty"))
    assert main(["service", "install", "--unit-dir", str(tmp_path / "units")]) == 1
    assert "no group in" in capsys.readouterr().err
    assert not (tmp_path / "units").exists()


@posix_only
def test_the_launchd_agent_and_the_scheduled_task_run_the_same_command(home: Path, tmp_path: Path) -> None:
    plan = ServicePlan(home, ["--interface", "en0"], group="Maple Street")
    agent = plistlib.loads(launchd_plist(plan))
    serve = [sys.executable, "-m", "magnet", "--group", "Maple Street", "serve", "--interface", "en0"]
    assert agent["ProgramArguments"] == serve
    assert agent["EnvironmentVariables"]["MAGNET_HOME"] == str(home)
    assert agent["KeepAlive"] is True and agent["RunAtLoad"] is True
    [said, start] = install(plan, unit_dir=tmp_path / "agents", platform="darwin")
    assert plistlib.loads((tmp_path / "agents" / "local.magnet.serve.plist").read_bytes()) == agent
    assert said == f"Wrote {tmp_path / 'agents' / 'local.magnet.serve.plist'}"
    assert start.endswith(f"launchctl bootstrap gui/{user_id()} {tmp_path / 'agents' / 'local.magnet.serve.plist'}")

    [windows] = install(plan, platform="win32")  # the command to run, printed: nothing is written
    assert windows.endswith(subprocess.list2cmdline(schtasks_command(plan)))
    task = schtasks_command(plan)
    assert task[:6] == ["schtasks", "/Create", "/TN", "magnet", "/SC", "ONLOGON"]
    assert task[-1] == subprocess.list2cmdline(
        [sys.executable, "-m", "magnet", "--home", str(home), "--group", "Maple Street", "serve", "--interface", "en0"]
    )


@pytest.mark.skipif(sys.platform == "win32" or os.geteuid() != 0, reason="sudo is a root's matter")
def test_a_system_unit_made_under_sudo_serves_the_invoking_users_data_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    from magnet.cli import build_parser
    from magnet.service import data_dir

    monkeypatch.delenv("MAGNET_HOME", raising=False)
    monkeypatch.setenv("SUDO_USER", "root")  # the user who typed sudo: one that exists here
    args = build_parser().parse_args(["service", "install", "--system"])
    assert data_dir(args) == Path("~root").expanduser() / ".local" / "share" / "magnet"


@posix_only
def test_where_systemd_does_not_answer_install_says_it_is_not_running(
    home: Path, tools: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tools / "systemctl").write_text("#!/bin/sh\necho 'System has not been booted with systemd' >&2\nexit 1\n")
    assert main(["service", "install", "--unit-dir", str(tmp_path / "units")]) == 0
    out = capsys.readouterr().out
    assert "Could not run: systemctl --user enable magnet.service" in out
    assert out.rstrip().endswith(
        "Not running yet: run the commands that failed yourself (is systemd this machine's init?)"
    )
    assert "runs now" not in out
