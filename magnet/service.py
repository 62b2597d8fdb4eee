"""`magnet serve` as a service that starts at boot: a systemd unit, a launchd agent, a scheduled task.

An always-on peer (a Raspberry Pi at the rally point) must come back by itself after a power cut.
On Linux `magnet service install` writes a systemd unit and enables it; on macOS it writes a
launchd agent and on Windows it gives the Task Scheduler command, both to run by hand. The unit
runs this interpreter's magnet with this data dir, so it serves the group set up here.
Standard library only: the command must not slow down the others.
"""

from __future__ import annotations

import argparse
import getpass
import os
import plistlib
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from magnet.errors import MagnetError

UNIT_NAME = "magnet"
LAUNCHD_LABEL = "local.magnet.serve"
RESTART_SECONDS = 5
SYSTEM_UNIT_DIR = Path("/etc/systemd/system")


@dataclass(frozen=True)
class ServicePlan:
    """What the service runs: this interpreter's `magnet serve`, on this data dir, as this user."""

    home: Path
    serve_args: Sequence[str] = ()
    group: str | None = None  # the group to serve, when the data dir holds several
    system: bool = False  # a system unit (root, starts at boot as `user`) or the user's own
    user: str = field(default_factory=getpass.getuser)
    name: str = UNIT_NAME
    python: str = field(default_factory=lambda: sys.executable)

    @property
    def argv(self) -> list[str]:
        group = ["--group", self.group] if self.group else []
        return [self.python, "-m", "magnet", *group, "serve", *self.serve_args]

    @property
    def env_file(self) -> Path:
        """Optional settings for the service, e.g. MAGNET_PASSPHRASE for a group encrypted at rest."""
        return self.home / "service.env"


# ---- systemd -------------------------------------------------------------------------------------


def systemd_quote(word: str, *, command: bool = False) -> str:
    """One word of a unit-file assignment (or of a command line), as systemd reads it back.

    `%` starts a specifier everywhere; `$` a variable only in command lines.
    """
    word = word.replace("%", "%%")
    if command:
        word = word.replace("$", "$$")
    if word and not any(c.isspace() or c in "\"'\\;" for c in word):
        return word
    return '"' + word.replace("\\", "\\\\").replace('"', '\\"') + '"'


def systemd_unit(plan: ServicePlan) -> str:
    lines = [
        "# Written by `magnet service install`; `magnet service uninstall` removes it.",
        "[Unit]",
        "Description=magnet always-on peer: keeps the group's records and passes changes on",
    ]
    if plan.system:  # a user manager cannot wait for the system's network
        lines += ["Wants=network-online.target", "After=network-online.target"]
    lines += [
        "",
        "[Service]",
        "Type=simple",
        f"ExecStart={' '.join(systemd_quote(word, command=True) for word in plan.argv)}",
        f"Environment={systemd_quote(f'MAGNET_HOME={plan.home}')}",
        "Environment=PYTHONUNBUFFERED=1",
        f"EnvironmentFile=-{str(plan.env_file).replace('%', '%%')}",  # a path, never quoted
        "Restart=always",
        f"RestartSec={RESTART_SECONDS}",
    ]
    if plan.system:
        lines.append(f"User={plan.user}")
    lines += ["", "[Install]", f"WantedBy={'multi-user.target' if plan.system else 'default.target'}", ""]
    return "\n".join(lines)


def systemd_dir(system: bool) -> Path:
    if system:
        return SYSTEM_UNIT_DIR
    config = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config) / "systemd" / "user"


def systemctl(plan: ServicePlan, *args: str) -> list[str]:
    return ["systemctl", *([] if plan.system else ["--user"]), *args]


# ---- launchd and Task Scheduler ------------------------------------------------------------------


def launchd_plist(plan: ServicePlan) -> bytes:
    logs = Path.home() / "Library" / "Logs" / "magnet.log"
    agent = {
        "Label": LAUNCHD_LABEL,
        "ProgramArguments": plan.argv,
        "EnvironmentVariables": {"MAGNET_HOME": str(plan.home), "PYTHONUNBUFFERED": "1"},
        "RunAtLoad": True,
        "KeepAlive": True,  # started again whenever it stops, as systemd's Restart=always
        "ThrottleInterval": RESTART_SECONDS,
        "StandardOutPath": str(logs),
        "StandardErrorPath": str(logs),
    }
    return plistlib.dumps(agent)


def launchd_path() -> Path:
    return Path.home() / "Library" / "LaunchAgents" / f"{LAUNCHD_LABEL}.plist"


def schtasks_command(plan: ServicePlan) -> list[str]:
    """The Task Scheduler entry: at logon, this interpreter's magnet on this data dir."""
    run = subprocess.list2cmdline([plan.python, "-m", "magnet", "--home", str(plan.home), *plan.argv[3:]])
    return ["schtasks", "/Create", "/TN", plan.name, "/SC", "ONLOGON", "/RL", "LIMITED", "/F", "/TR", run]


# ---- install and uninstall -----------------------------------------------------------------------


def user_id() -> int:
    if sys.platform == "win32":
        return 0
    else:
        return os.getuid()


def is_root() -> bool:
    if sys.platform == "win32":
        return False
    else:
        return os.geteuid() == 0


def ran(argv: list[str]) -> bool:
    """Run a system tool (systemctl, loginctl); False where it is missing or fails."""
    if shutil.which(argv[0]) is None:
        return False
    try:
        return subprocess.run(argv, check=False).returncode == 0  # noqa: S603 - our own arguments, no shell
    except OSError:
        return False


def install(
    plan: ServicePlan,
    *,
    unit_dir: Path | None = None,
    enable: bool = True,
    dry_run: bool = False,
    platform: str = sys.platform,
) -> list[str]:
    """Write the service for this platform (and on Linux enable it); the lines that say what was done."""
    if platform == "darwin":
        return _install_launchd(plan, unit_dir, dry_run)
    if platform == "win32":
        command = subprocess.list2cmdline(schtasks_command(plan))
        return [f"Run this in a terminal to start magnet serve at every logon:\n{command}"]
    unit_dir = unit_dir or systemd_dir(plan.system)
    path = unit_dir / f"{plan.name}.service"
    steps = [
        systemctl(plan, "daemon-reload"),
        systemctl(plan, "enable", f"{plan.name}.service"),
        systemctl(plan, "restart", f"{plan.name}.service"),  # (re)started: a second install takes effect now
    ]
    if not plan.system:  # a user's services run from boot, not from their login, only with lingering
        steps.append(["loginctl", "enable-linger", plan.user])
    if dry_run:
        return [f"Would write {path}:", systemd_unit(plan)] + (
            [f"Would run: {' '.join(step)}" for step in steps] if enable else []
        )
    if plan.system and unit_dir == SYSTEM_UNIT_DIR and not is_root():
        raise MagnetError("a system unit goes in /etc/systemd/system: run this with sudo, or drop --system")
    try:
        unit_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(systemd_unit(plan))
    except OSError as exc:
        raise MagnetError(f"cannot write {path}: {exc.strerror or exc}") from exc
    said = [f"Wrote {path}"]
    if not enable:
        return [*said, "Not enabled; to start it now and at every boot: " + " && ".join(" ".join(s) for s in steps)]
    failed = [step for step in steps if not ran(step)]
    said += [f"{'Could not run' if step in failed else 'Ran'}: {' '.join(step)}" for step in steps]
    if failed:
        return [*said, "Not running yet: run the commands that failed yourself (is systemd this machine's init?)"]
    journal = "journalctl" + ("" if plan.system else " --user")
    return [*said, f"magnet serve runs now and at every boot; its log: {journal} -u {plan.name} -f"]


def _install_launchd(plan: ServicePlan, agent_dir: Path | None, dry_run: bool) -> list[str]:
    path = (agent_dir / f"{LAUNCHD_LABEL}.plist") if agent_dir else launchd_path()
    load = f"launchctl bootstrap gui/{user_id()} {path}"
    if dry_run:
        return [f"Would write {path}:", launchd_plist(plan).decode()]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(launchd_plist(plan))
    return [f"Wrote {path}", f"To start it now (it also starts at every login): {load}"]


def uninstall(
    plan: ServicePlan,
    *,
    unit_dir: Path | None = None,
    platform: str = sys.platform,
) -> list[str]:
    """Stop and remove what `install` wrote; the lines that say what was done."""
    if platform == "darwin":
        return [f"Run: launchctl bootout gui/{user_id()} {launchd_path()} && rm {launchd_path()}"]
    if platform == "win32":
        return [f"Run: schtasks /Delete /TN {plan.name} /F"]
    path = (unit_dir or systemd_dir(plan.system)) / f"{plan.name}.service"
    if not path.exists():
        raise MagnetError(f"no service to remove: {path} does not exist")
    said = []
    stop = systemctl(plan, "disable", "--now", f"{plan.name}.service")
    if ran(stop):
        said.append(f"Ran: {' '.join(stop)}")
    try:
        path.unlink()
    except OSError as exc:
        raise MagnetError(f"cannot remove {path}: {exc.strerror or exc}") from exc
    said.append(f"Removed {path}")
    reload = systemctl(plan, "daemon-reload")
    if ran(reload):
        said.append(f"Ran: {' '.join(reload)}")
    return said


# ---- the command ---------------------------------------------------------------------------------


def data_dir(args: argparse.Namespace) -> Path:
    """The data dir the service serves: --home, $MAGNET_HOME, or (under sudo) the invoking user's."""
    from magnet.datadir import default_home

    if args.home:
        return Path(args.home).expanduser().resolve()
    sudo_user = os.environ.get("SUDO_USER")
    if args.system and sudo_user and is_root() and not os.environ.get("MAGNET_HOME"):
        return Path(f"~{sudo_user}").expanduser() / ".local" / "share" / "magnet"
    return default_home().resolve()


def serve_options(args: argparse.Namespace) -> list[str]:
    """The `magnet serve` options given to `magnet service install`, for the unit's command line."""
    options = [] if args.port is None else ["--port", str(args.port)]
    options += [word for peer in args.peer for word in ("--peer", peer)]
    options += [word for interface in args.interface for word in ("--interface", interface)]
    options += ["--no-discovery"] if args.no_discovery else []
    options += [] if args.keepalive is None else ["--keepalive", f"{args.keepalive:g}"]
    return options + (["--verbose"] if args.verbose else [])


def service_command(args: argparse.Namespace) -> int:
    """`magnet service install|uninstall`: say each thing done, one line each."""
    from magnet.home import Home

    home = data_dir(args)
    user = (os.environ.get("SUDO_USER") if args.system else None) or getpass.getuser()
    plan = ServicePlan(home, serve_options(args), group=args.group, system=args.system, user=user)
    unit_dir = Path(args.unit_dir).expanduser() if args.unit_dir else None
    if args.action == "uninstall":
        lines = uninstall(plan, unit_dir=unit_dir)
    else:
        groups = Home(home).groups()
        if not groups:
            raise MagnetError(f"no group in {home} to serve: create one (magnet init) or join one (magnet join) first")
        lines = install(plan, unit_dir=unit_dir, enable=not args.no_enable, dry_run=args.dry_run)
        if any(info.encrypted for info in groups) and not args.dry_run:
            lines.append(
                f"The group is encrypted at rest: the service reads its passphrase from {plan.env_file} "
                "(a line MAGNET_PASSPHRASE=..., the file readable only by you: chmod 600)."
            )
    print("\n".join(lines))
    return 0
