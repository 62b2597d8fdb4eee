"""The setup `make run` / `make test` run on a fresh machine, with the Pythons those machines have.

The Makefile is run for real, in a copy of the repo, with a PATH that holds only a stand-in
Python 3.13 (the real interpreter behind it, answering the version probe as 3.13): what Debian 13,
Raspberry Pi OS trixie and Homebrew have. Downloads are impossible in these tests (pip without an
index, uv offline), so each must end in the message that says what to install.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tools import bootstrap

ROOT = Path(__file__).resolve().parent.parent
MAKE = shutil.which("make")
UV = Path(sys.executable).parent / "uv"

# The stand-in interpreters are shell scripts, and make is what they are run through.
needs_make = pytest.mark.skipif(os.name == "nt" or MAKE is None, reason="needs make and a POSIX shell")
posix_only = pytest.mark.skipif(os.name == "nt", reason="stand-in interpreters are shell scripts")


def stand_in(folder: Path, name: str, version: str, *, real: str = sys.executable) -> None:
    """`name` on PATH: says it is Python `version` when asked, runs the `real` interpreter otherwise."""
    script = folder / name
    script.write_text(f'#!/bin/sh\ncase "$*" in *version_info*) echo {version}; exit 0;; esac\nexec "{real}" "$@"\n')
    script.chmod(0o755)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """What a fresh clone holds for the setup: the Makefile, the bootstrap, pyproject and the locks."""
    copy = tmp_path / "magnet"
    (copy / "tools").mkdir(parents=True)
    shutil.copy(ROOT / "Makefile", copy)
    shutil.copy(ROOT / "pyproject.toml", copy)
    shutil.copy(ROOT / "tools" / "bootstrap.py", copy / "tools")
    shutil.copytree(ROOT / "requirements", copy / "requirements")
    return copy


@pytest.fixture
def path_dir(tmp_path: Path) -> Path:
    """A PATH with Python 3.13 as python3 and python3.13, and nothing else of Python."""
    folder = tmp_path / "bin"
    folder.mkdir()
    stand_in(folder, "python3", "3.13")
    stand_in(folder, "python3.13", "3.13")
    return folder


def offline_env(tmp_path: Path, path_dir: Path) -> dict[str, str]:
    return {
        "PATH": str(path_dir),
        "HOME": str(tmp_path / "home"),
        "PIP_CONFIG_FILE": os.devnull,  # no index or wheel folder from this machine's pip config
        "PIP_NO_INDEX": "1",
        "UV_OFFLINE": "1",
        "UV_CACHE_DIR": str(tmp_path / "uv-cache"),
        "UV_PYTHON_INSTALL_DIR": str(tmp_path / "uv-python"),
    }


def make(repo: Path, env: dict[str, str], target: str) -> subprocess.CompletedProcess[str]:
    assert MAKE is not None
    return subprocess.run([MAKE, target], cwd=repo, env=env, capture_output=True, text=True, timeout=120)


@needs_make
def test_with_only_python_3_13_make_takes_the_uv_route_and_offline_says_what_to_install(
    repo: Path, path_dir: Path, tmp_path: Path
) -> None:
    (path_dir / "uv").symlink_to(UV)  # uv is already there: the CPython download is what fails
    result = make(repo, offline_env(tmp_path, path_dir), ".venv/.installed")
    assert result.returncode != 0
    assert "no Python 3.11 or 3.12 here: fetching uv into .venv-bootstrap to install CPython 3.12" in result.stdout
    assert "uv could not download CPython 3.12" in result.stderr
    assert bootstrap.install_hint() in result.stderr
    assert not (repo / ".venv").exists()


@needs_make
def test_where_uv_cannot_be_fetched_the_message_says_what_to_install(
    repo: Path, path_dir: Path, tmp_path: Path
) -> None:
    result = make(repo, offline_env(tmp_path, path_dir), ".venv/.installed-test")
    assert result.returncode != 0
    assert "fetching uv into .venv-bootstrap" in result.stdout
    [line] = [line for line in result.stderr.splitlines() if line.startswith("magnet setup:")]
    assert "could not fetch uv from the package index" in line
    assert line.endswith(bootstrap.install_hint())


@needs_make
def test_a_python_without_pip_fetches_uv_through_a_throwaway_venv(repo: Path, path_dir: Path, tmp_path: Path) -> None:
    # As Debian's python3 without python3-pip: the venv module brings a pip to fetch uv with.
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(tmp_path / "no-pip")], check=True)
    stand_in(path_dir, "python3", "3.13", real=str(tmp_path / "no-pip" / "bin" / "python"))
    result = make(repo, offline_env(tmp_path, path_dir), ".venv/.installed")
    assert result.returncode != 0
    assert (repo / ".venv-bootstrap" / "env" / "bin" / "pip").exists()
    [line] = [line for line in result.stderr.splitlines() if line.startswith("magnet setup:")]
    assert "could not fetch uv from the package index" in line


@needs_make
def test_a_python_3_11_without_its_venv_module_is_told_the_package_and_leaves_no_half_venv(
    repo: Path, path_dir: Path, tmp_path: Path
) -> None:
    script = path_dir / "python3.11"  # as Debian's python3.11 without python3.11-venv
    script.write_text(
        "#!/bin/sh\n"
        'case "$*" in *version_info*) echo 3.11; exit 0;; esac\n'
        'if [ "$1 $2" = "-m venv" ]; then mkdir -p "$3/bin"; echo "The virtual environment was not created'
        ' successfully because ensurepip is not available." ; exit 1; fi\n'
        f'exec "{sys.executable}" "$@"\n'
    )
    script.chmod(0o755)
    result = make(repo, offline_env(tmp_path, path_dir), ".venv/.installed")
    assert result.returncode != 0
    assert "making .venv with python3.11 (Python 3.11)" in result.stdout
    [line] = [line for line in result.stderr.splitlines() if line.startswith("magnet setup:")]
    assert (
        line
        == "magnet setup: Python 3.11 lacks its venv module: sudo apt install python3.11-venv, then run this again."
    )
    assert not (repo / ".venv").exists()


def which(repo: Path, path_dir: Path, **env: str) -> str:
    result = subprocess.run(
        [str(path_dir / "python3"), "tools/bootstrap.py", "--which"],
        cwd=repo,
        env={"PATH": str(path_dir), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@posix_only
def test_a_python_3_12_or_3_11_on_path_is_chosen_over_the_uv_route(repo: Path, path_dir: Path) -> None:
    assert which(repo, path_dir) == "uv 3.12"
    stand_in(path_dir, "python3.11", "3.11")
    assert which(repo, path_dir) == "python3.11 3.11"
    stand_in(path_dir, "python3.12", "3.12")
    assert which(repo, path_dir) == "python3.12 3.12"


@posix_only
def test_python_given_by_hand_is_used_whatever_its_version(repo: Path, path_dir: Path) -> None:
    # `make PYTHON=python3.13`: building Automerge from source with a Rust toolchain
    assert which(repo, path_dir, PYTHON="python3.13") == "python3.13 3.13"


@pytest.mark.parametrize(
    ("release", "says"),
    [
        ("ID=debian\n", "pyenv install 3.12"),
        ('ID=raspbian\nID_LIKE="debian"\n', "pyenv install 3.12"),
        ("ID=ubuntu\nID_LIKE=debian\n", "sudo apt install python3.12-venv"),
        ("ID=fedora\n", "sudo dnf install python3.12"),
        ("ID=alpine\n", "CPython 3.12"),
    ],
)
def test_the_hint_names_what_to_install_on_each_linux(
    release: str, says: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(bootstrap, "WINDOWS", False)
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setattr(bootstrap, "os_release", lambda: dict(re.findall(r'(\w+)="?([^"\n]*)"?', release)))
    assert says in bootstrap.install_hint()


def test_the_hint_on_macos_and_windows(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bootstrap, "WINDOWS", False)
    monkeypatch.setattr(sys, "platform", "darwin")
    assert "brew install python@3.12" in bootstrap.install_hint()
    monkeypatch.setattr(bootstrap, "WINDOWS", True)
    assert "winget install Python.Python.3.12" in bootstrap.install_hint()
    assert "make.ps1" in bootstrap.install_hint()


# ---- the lock ------------------------------------------------------------------------------------


def pinned(lock: str) -> dict[str, str]:
    text = (ROOT / "requirements" / lock).read_text()
    return {canonicalize_name(name): version for name, version in re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)", text, re.M)}


def test_the_locks_pin_every_dependency_within_pyproject_s_ranges() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    run, test = pinned("run.txt"), pinned("test.txt")
    for lock, wanted in (
        (run, project["dependencies"]),
        (test, project["dependencies"] + project["optional-dependencies"]["test"]),
    ):
        for line in wanted:
            requirement = Requirement(line)
            name = canonicalize_name(requirement.name)
            assert name in lock, f"{name} is not in the lock: run make lock"
            assert requirement.specifier.contains(lock[name], prereleases=True), f"{name}=={lock[name]} vs {line}"
    assert {name: test[name] for name in run} == run  # make run installs what make test tested


def test_every_pin_carries_hashes() -> None:
    for lock in ("run.txt", "test.txt", "bootstrap.txt"):
        text = (ROOT / "requirements" / lock).read_text()
        blocks = re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 2)[2])
        assert blocks and all("--hash=sha256:" in block for block in blocks if "==" in block), lock


# ---- Windows -------------------------------------------------------------------------------------


def recipe(makefile: str, target: str) -> list[str]:
    """The commands of one Makefile target."""
    lines = makefile.splitlines()
    start = next(n for n, line in enumerate(lines) if line.startswith(f"{target}:"))
    commands = []
    for line in lines[start + 1 :]:
        if not line.startswith("\t"):
            break
        commands.append(line.strip().replace("$(BIN)/", ""))
    return commands


def test_make_ps1_sets_up_with_the_same_bootstrap_and_runs_the_same_checks() -> None:
    """Windows has no make: .\\make.ps1 test must run what `make test` runs, in the same order."""
    ps1 = (ROOT / "make.ps1").read_text()
    makefile = (ROOT / "Makefile").read_text()
    steps = re.findall(r"Invoke-Step '(\w+)' @\(([^)]*)\)", ps1)
    checks = [" ".join([tool, *re.findall(r"'([^']*)'", args)]) for tool, args in steps]
    assert recipe(makefile, "test") == [] and "test: lint typecheck typecheck-platforms unit" in makefile
    assert checks == (
        recipe(makefile, "lint")
        + recipe(makefile, "typecheck")
        + recipe(makefile, "typecheck-platforms")
        + recipe(makefile, "unit")
    )
    assert "tools\\bootstrap.py" in ps1 and "$setupArgs += '--test'" in ps1
    assert "Invoke-Step 'magnet' $Rest" in ps1  # .\make.ps1 run starts the app, as make run does
