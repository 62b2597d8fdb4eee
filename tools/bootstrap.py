"""Build .venv for magnet from any Python 3: an interpreter automerge has wheels for, then the lock.

automerge 1.0.0rc1 ships wheels for CPython 3.11 and 3.12 only, while Debian 13, Raspberry Pi OS
(trixie), Fedora and Homebrew ship 3.13 or later. So: use a python3.12 or python3.11 when there is
one; where there is none, fetch uv from the package index into .venv-bootstrap and let it install a
CPython 3.12 for .venv. Then install exactly what requirements/*.txt pin (hashes checked) and
magnet itself, editable. Where a download is impossible, say exactly what to install.

`make` and `make.ps1` run this; it needs only the standard library, so any Python 3 can run it.

    python3 tools/bootstrap.py [--test] [--venv DIR] [--which]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WINDOWS = os.name == "nt"
SUPPORTED = ("3.11", "3.12")
MANAGED = "3.12"  # the CPython uv installs where no supported one is found
BOOTSTRAP_DIR = ROOT / ".venv-bootstrap"
# What a candidate interpreter is asked; stand-ins in tests answer the same question.
VERSION_PROBE = "import sys; print('%d.%d' % sys.version_info[:2])"


class SetupError(Exception):
    """Setup cannot go on; the message says what to install or do."""


def say(line: str) -> None:
    print(f"magnet setup: {line}", flush=True)


def run(
    argv: list[str], *, capture: bool = False, timeout: float | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, text=True, check=False, capture_output=capture, timeout=timeout, cwd=cwd)


# ---- which interpreter ---------------------------------------------------------------------------


def candidates() -> list[list[str]]:
    """Interpreters to try, best first. PYTHON (as in `make PYTHON=...`) is the only one when set."""
    chosen = os.environ.get("PYTHON", "").strip()
    if chosen:
        return [shlex.split(chosen, posix=not WINDOWS)]
    names = [["python3.12"], ["python3.11"], ["python3"], ["python"]]
    if WINDOWS:  # the py launcher knows every python.org install; `python` may be the Store's stub
        names = [["py", "-3.12"], ["py", "-3.11"], ["python"], ["python3"]]
    return [name for name in names if shutil.which(name[0])]


def version_of(command: list[str]) -> str | None:
    try:
        done = run([*command, "-c", VERSION_PROBE], capture=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def find_interpreter() -> tuple[list[str], str] | None:
    """The first candidate that is CPython 3.11 or 3.12 (or PYTHON, whatever it is), with its version."""
    forced = bool(os.environ.get("PYTHON", "").strip())
    for command in candidates():
        version = version_of(command)
        if version and (forced or version in SUPPORTED):
            return command, version
    return None


def venv_python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if WINDOWS else "bin/python")


# ---- what to install where nothing can be downloaded ---------------------------------------------


def os_release() -> dict[str, str]:
    try:
        text = Path("/etc/os-release").read_text()
    except OSError:
        return {}
    pairs = (line.split("=", 1) for line in text.splitlines() if "=" in line)
    return {key: value.strip().strip('"') for key, value in pairs}


def install_hint() -> str:
    """Exactly what to install on this OS for a Python magnet can use, and how to go on."""
    if WINDOWS:
        return (
            "Install Python 3.12: winget install Python.Python.3.12 (or the installer from "
            "https://www.python.org/downloads/windows/), then run .\\make.ps1 again."
        )
    if sys.platform == "darwin":
        return "Install Python 3.12: brew install python@3.12 (or https://www.python.org/downloads/macos/), then run make again."
    else:
        return linux_hint()


def linux_hint() -> str:
    release = os_release()
    family = f"{release.get('ID', '')} {release.get('ID_LIKE', '')}"
    if "ubuntu" in family:
        return (
            "Install Python 3.12: sudo apt install python3.12-venv (Ubuntu 24.04; on later releases "
            "sudo add-apt-repository ppa:deadsnakes/ppa first), then run make again."
        )
    if "debian" in family:  # Debian 13 and Raspberry Pi OS trixie package no 3.12
        return (
            "Install Python 3.12 with pyenv (https://github.com/pyenv/pyenv#installation): "
            "sudo apt install build-essential libssl-dev zlib1g-dev libbz2-dev libreadline-dev "
            "libsqlite3-dev libffi-dev liblzma-dev, then pyenv install 3.12, then run "
            'make PYTHON="$(pyenv prefix 3.12)/bin/python3".'
        )
    if "fedora" in family or "rhel" in family:
        return "Install Python 3.12: sudo dnf install python3.12, then run make again."
    return "Install CPython 3.12 (https://www.python.org/downloads/ or pyenv install 3.12), then run make again."


# ---- the uv route --------------------------------------------------------------------------------


def bootstrap_uv() -> Path | None:
    for folder in ("bin", "Scripts"):
        uv = BOOTSTRAP_DIR / folder / ("uv.exe" if WINDOWS else "uv")
        if uv.exists():
            return uv
    return None


def fetch_uv() -> Path:
    """uv from the package index (pinned with hashes in requirements/bootstrap.txt), into .venv-bootstrap."""
    lock = str(ROOT / "requirements" / "bootstrap.txt")
    pip = [sys.executable, "-m", "pip"]
    if run([*pip, "--version"], capture=True).returncode != 0:
        # No pip in this Python (Debian splits it out): a throwaway venv brings its own.
        if run([sys.executable, "-m", "venv", str(BOOTSTRAP_DIR / "env")], capture=True).returncode != 0:
            raise SetupError(
                "this Python has neither pip nor venv to fetch uv with. Install one of them "
                "(Debian, Ubuntu, Raspberry Pi OS: sudo apt install python3-venv), or uv itself "
                "(https://docs.astral.sh/uv/getting-started/installation/), then run this again. "
                "Or: " + install_hint()
            )
        pip = [str(venv_python(BOOTSTRAP_DIR / "env")), "-m", "pip"]
    quiet = ["--quiet", "--disable-pip-version-check"]
    done = run([*pip, "install", *quiet, "--require-hashes", "-r", lock, "--target", str(BOOTSTRAP_DIR)], capture=True)
    uv = bootstrap_uv()
    if done.returncode != 0 or uv is None:
        lines = done.stderr.strip().splitlines()
        reason = ([line for line in lines if line.startswith("ERROR")] or lines or ["no uv after installing it"])[-1]
        raise SetupError(f"could not fetch uv from the package index ({reason}). " + install_hint())
    return uv


def managed_venv(venv: Path) -> None:
    """CPython 3.12 through uv, and .venv (with pip, as every other route has) made from it."""
    say(f"no Python {' or '.join(SUPPORTED)} here: fetching uv into {BOOTSTRAP_DIR.name} to install CPython {MANAGED}")
    found = shutil.which("uv")
    uv = Path(found) if found else (bootstrap_uv() or fetch_uv())
    if run([str(uv), "python", "install", MANAGED]).returncode != 0:
        raise SetupError(f"uv could not download CPython {MANAGED} (it comes from github.com). " + install_hint())
    if run([str(uv), "venv", "--seed", "--python", MANAGED, str(venv)]).returncode != 0:
        shutil.rmtree(venv, ignore_errors=True)  # half a venv would be taken for a whole one next time
        raise SetupError(f"uv could not make {venv} from CPython {MANAGED}. " + install_hint())


# ---- the environment -----------------------------------------------------------------------------


def ensure_venv(venv: Path) -> Path:
    python = venv_python(venv)
    if venv.exists():
        version = version_of([str(python)]) if python.exists() else None
        if version in SUPPORTED or (version and os.environ.get("PYTHON", "").strip()):
            return python
        say(f"removing {venv.name} (Python {version or 'missing'}, not {' or '.join(SUPPORTED)}) to make it again")
        shutil.rmtree(venv)
    found = find_interpreter()
    if found is None:
        managed_venv(venv)
        return python
    command, version = found
    say(f"making {venv.name} with {' '.join(command)} (Python {version})")
    done = run([*command, "-m", "venv", str(venv)], capture=True)
    if done.returncode != 0:
        shutil.rmtree(venv, ignore_errors=True)  # half a venv (no pip) would be taken for a whole one next time
        detail = (done.stdout + done.stderr).strip().splitlines()
        if any("ensurepip" in line for line in detail):
            raise SetupError(
                f"Python {version} lacks its venv module: sudo apt install python{version}-venv, then run this again."
            )
        raise SetupError(f"{' '.join(command)} -m venv failed: {detail[-1] if detail else 'no output'}")
    return python


def stamp_of(lock: Path) -> str:
    digest = hashlib.sha256()
    for path in (lock, ROOT / "pyproject.toml"):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def install(python: Path, venv: Path, *, test: bool) -> None:
    """The locked packages (hashes checked), then magnet itself, editable; skipped when done already."""
    lock = ROOT / "requirements" / ("test.txt" if test else "run.txt")
    stamp = venv / (".installed-test" if test else ".installed")
    wanted = stamp_of(lock)
    if stamp.exists() and stamp.read_text().strip() == wanted:
        stamp.touch()  # up to date: make need not ask again
        return
    pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    if not stamp.parent.joinpath(".installed").exists():  # a new venv: its bundled pip may be years old
        run([*pip, "--upgrade", "pip"], cwd=ROOT)
    say(f"installing {lock.relative_to(ROOT).as_posix()} into {venv.name}")
    if run([*pip, "--require-hashes", "-r", str(lock)], cwd=ROOT).returncode != 0:
        raise SetupError(f"installing {lock.relative_to(ROOT)} failed (see above)")
    if run([*pip, "--no-deps", "-e", "."], cwd=ROOT).returncode != 0:
        raise SetupError("installing magnet itself failed (see above)")
    stamp.write_text(wanted + "\n")
    if test:  # the test lock holds everything the run lock does
        (venv / ".installed").write_text(stamp_of(ROOT / "requirements" / "run.txt") + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--venv", type=Path, default=ROOT / ".venv")
    parser.add_argument("--test", action="store_true", help="also the test tools (pytest, ruff, mypy)")
    parser.add_argument("--which", action="store_true", help="only say which interpreter would make the venv")
    args = parser.parse_args(argv)
    venv = args.venv if args.venv.is_absolute() else Path.cwd() / args.venv
    if args.which:
        found = find_interpreter()
        print(f"{' '.join(found[0])} {found[1]}" if found else f"uv {MANAGED}")
        return 0
    try:
        python = ensure_venv(venv)
        install(python, venv, test=args.test)
    except SetupError as exc:
        print(f"magnet setup: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
