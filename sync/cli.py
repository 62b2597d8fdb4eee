"""The sync commands of `magnet`: serve, invite, join, devices, revoke.

`magnet/cli.py` defines their arguments and calls these handlers; each returns an exit code and
raises MagnetError for anything a person must fix.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import re
import signal
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from magnet.device import readable_id
from magnet.errors import MagnetError, NotFound
from magnet.home import Home, OpenGroup
from magnet.lognames import NamesById
from magnet.records import Device
from magnet.safelog import guard_logging
from magnet.safetext import control_problem, shown
from magnet.unlock import ask_passphrase, open_with_passphrase
from sync.events import DEFAULT_PORT, NodeConfig, NodeEvent
from sync.interfaces import local_ipv4, pinned, resolve
from sync.invitebook import DEFAULT_SHORT_TTL, InviteBook
from sync.invitecode import render_qr
from sync.joining import adopt, parse_code
from sync.joining import join as join_group
from sync.peerbook import PeerBook
from sync.runfile import running_port
from sync.secure import GroupSecurity, ensure_keyring, revoke_device
from sync.transport import address_problem, format_address

log = logging.getLogger("magnet.sync")

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$")
_UNITS = {"": 3600.0, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def _home(args: argparse.Namespace) -> Home:
    return Home(Path(args.home).expanduser()) if args.home else Home.default()


def _open(args: argparse.Namespace) -> OpenGroup:
    group = open_with_passphrase(_home(args), args.group)
    for problem in group.report.problems:
        print(f"magnet: warning: {shown(problem)}", file=sys.stderr)
    return group


# ---- serve ---------------------------------------------------------------------------------


def serve(args: argparse.Namespace) -> int:
    """Run the node until Ctrl-C or SIGTERM: listen, discover, sync, log what happens."""
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(message)s",
        datefmt="%H:%M:%S",
        stream=sys.stderr,
    )
    guard_logging()  # a peer's name or refusal reason in a log line is shown, never obeyed
    logging.getLogger("asyncio").setLevel(logging.WARNING)
    if not args.verbose:
        logging.getLogger("zeroconf").setLevel(logging.WARNING)
    keepalive = float(getattr(args, "keepalive", None) or 5.0)
    config = NodeConfig(
        port=DEFAULT_PORT if args.port is None else args.port,
        peers=list(args.peer),
        interfaces=list(args.interface) or None,
        discovery=not args.no_discovery,
        keepalive=keepalive,
        dead_after=4 * keepalive,
        backoff_max=min(30.0, 6 * keepalive),
    )
    controlled = bool(getattr(args, "control", False))
    # The node and its mDNS are imported only to serve: `magnet join` and `invite` stay lighter
    # (a joining device's peak memory is counted against a bare load of the group it receives).
    from sync import child

    feed_from: list[bytes] | None = None
    if controlled:
        if hasattr(signal, "SIGHUP"):
            # The app's terminal closing hangs up its whole session; this process ends when the
            # app's pipe closes instead, after saving (its last read model is the next start's).
            signal.signal(signal.SIGHUP, signal.SIG_IGN)
        group, feed_from = child.open_controlled(_home(args), args.group)
    else:
        group = _open(args)
    hidden = _names_by_id(group) if group.info.encrypted else None
    gc.freeze()  # the loaded group lives as long as the node: full collections skip it (see screens/app.py)
    try:
        if hidden is None:
            log.info("serving %r as %s", group.info.name, group.home.device.readable_id)
        else:
            log.info("serving group %s as %s", group.info.group_id[:8], group.home.device.readable_id)
        if controlled:
            asyncio.run(child.run(group, config, stop_on_signals=stop_on_signals, feed_from=feed_from))
        else:
            asyncio.run(_serve(group, config))
    finally:
        group.close()
        if hidden is not None:
            for handler in logging.getLogger().handlers:
                handler.removeFilter(hidden)
    log.info("stopped; everything received is saved")
    return 0


def _names_by_id(group: OpenGroup) -> NamesById:
    """An encrypted group's log names devices and members by id: the log is at rest too."""
    names = NamesById.of(group.doc)
    for handler in logging.getLogger().handlers:
        handler.addFilter(names)
    return names


async def _serve(group: OpenGroup, config: NodeConfig) -> None:
    from sync.node import Node

    security = GroupSecurity(group, group.home.device, handshake_timeout=config.handshake_timeout)
    node = Node(
        group,
        config,
        link=security,
        membership=security,
        device_id=group.home.device.device_id,
        on_event=_log_event,
    )
    stop = asyncio.Event()
    stop_on_signals(asyncio.get_running_loop(), stop.set)
    await node.start()
    log.info("listening on port %d%s", node.port, "" if config.discovery else " (mDNS off)")
    try:
        await stop.wait()
    finally:
        log.info("stopping")
        await node.stop()


def stop_on_signals(loop: asyncio.AbstractEventLoop, stop: Callable[[], None], *, loop_handlers: bool = True) -> None:
    """Call `stop` on Ctrl-C or SIGTERM. Windows' event loop has no signal handlers
    (NotImplementedError): there a plain handler hands the signal to the loop's thread."""
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            if not loop_handlers:
                raise NotImplementedError
            loop.add_signal_handler(sig, stop)
        except NotImplementedError:
            signal.signal(sig, lambda _sig, _frame: loop.call_soon_threadsafe(stop))


def _log_event(event: NodeEvent) -> None:
    if event.kind in ("found", "synced"):
        log.debug("%s %s: %s", event.kind, event.peer, event.detail)


# ---- invite --------------------------------------------------------------------------------


def parse_duration(text: str) -> float:
    """'30m', '24h', '7d', '90s' (a bare number is hours) -> seconds."""
    match = _DURATION.match(text)
    if match is None or float(match.group(1)) <= 0:
        raise MagnetError(f"not a duration: {text!r} (try 30m, 24h or 7d)")
    return float(match.group(1)) * _UNITS[match.group(2)]


def invite_addresses(group: OpenGroup, given: list[str]) -> tuple[list[str], bool]:
    """Where the new device can reach this one, and whether a node runs here right now."""
    port = running_port(group.path)
    if given:
        return given, port is not None
    hosts = resolve(pinned(None)) or local_ipv4()
    return [format_address(h, port or DEFAULT_PORT) for h in hosts[:4]], port is not None


def invite(args: argparse.Namespace) -> int:
    ttl = parse_duration(args.expires)
    group = _open(args)
    try:
        ensure_keyring(group.path)
        addresses, running = invite_addresses(group, list(args.address))
        book = InviteBook(group.path)
        code = book.issue(ttl=ttl, addresses=tuple(addresses), issued_by=group.home.device.device_id)
        short = book.issue_short(ttl=min(ttl, DEFAULT_SHORT_TTL)) if args.short else None
        name = group.info.name
    finally:
        group.close()
    if args.quiet:
        print(code.encode())
        if short is not None:
            print(short)
        return 0
    until = datetime.fromtimestamp(code.expires_at).strftime("%Y-%m-%d %H:%M")
    print(f"Invite to {shown(name)!r}: usable once, until {until}.\n")
    print(code.encode() + "\n")
    print(render_qr(code.encode(), ansi=sys.stdout.isatty()) + "\n")
    print("On the new device:  magnet join --me 'Your Name'   and paste the code when it asks")
    if short is not None:
        minutes = min(ttl, DEFAULT_SHORT_TTL) / 60
        print(f"\nOr type the short code there instead (valid {minutes:.0f} min, same network):  {short}")
    if addresses:
        print(f"\nThe code tells the new device to look for this one at {', '.join(addresses)}.")
    if not running:
        print(
            "\nNo sync runs for this group here right now: start 'magnet serve' (or the app) "
            "so the new device can join."
        )
    return 0


# ---- join ----------------------------------------------------------------------------------


def join(args: argparse.Namespace) -> int:
    invitation = parse_code(invite_code(args))
    if args.address and (problem := address_problem(args.address)):
        raise MagnetError(f"--address {args.address!r}: {problem}")
    home = _home(args)
    device_name = _plain((args.name or "").strip(), "--name")
    # A shared device (a Pi) may join with only its own name; a person's device says who they are.
    member = _plain((args.me or "").strip(), "--me") or ("" if device_name else _ask_name())
    # Asked before joining: the invite is used up once the inviter answers.
    passphrase = ask_passphrase("New passphrase: ", confirm=True) if getattr(args, "encrypt", False) else None
    addresses = [args.address] if args.address else []
    interfaces = list(args.interface) or None
    if args.code not in (None, "-") and not getattr(args, "code_file", None):
        print(
            "magnet: warning: other users of this computer can see a code given on the command line; "
            "next time run 'magnet join' and paste it when asked (or pipe it: ... | magnet join -)",
            file=sys.stderr,
        )
    welcome, address = asyncio.run(
        join_group(
            home,
            invitation,
            member_name=member,
            device_name=device_name,
            addresses=addresses,
            interfaces=interfaces,
        )
    )
    group = adopt(home, welcome, inviter_address=address, device_name=args.name, passphrase=passphrase)
    try:
        sealed = " Its data on this disk is encrypted." if passphrase is not None else ""
        who = member or f"the shared device {device_name!r}"
        print(f"Joined {shown(group.info.name)!r} as {shown(who)}. This device is {home.device.readable_id}.{sealed}")
        print("Run 'magnet' (or 'magnet serve') to stay in sync with the group.")
    finally:
        group.close()
    return 0


def invite_code(args: argparse.Namespace) -> str:
    """The invite code from a file (--code-file), standard input (`-`, or a pipe) or a prompt.

    A code on the command line works but is shown to every user of this computer (`ps`) while
    the join runs, and whoever reads it can join first: `join` warns before it goes ahead.
    """
    given: str | None = args.code
    if getattr(args, "code_file", None):
        if given is not None:
            raise MagnetError("give the invite code once: as --code-file or on standard input, not both")
        try:
            with open(args.code_file, encoding="utf-8") as f:
                return f.readline().strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise MagnetError(f"cannot read the invite code from {args.code_file}: {exc}") from None
    if given is None and sys.stdin.isatty():
        return input("Invite code (paste it, or type the short one): ").strip()
    if given is None or given == "-":
        code = sys.stdin.readline().strip()
        if not code:
            raise MagnetError("no invite code on standard input: magnet join, then paste it when asked")
        return code
    return given


def _plain(text: str, option: str) -> str:
    problem = control_problem(text)
    if problem is not None:
        raise MagnetError(f"{option}: {problem}")
    return text


def _ask_name() -> str:
    if not sys.stdin.isatty():
        raise MagnetError("say who you are in the group: magnet join --me 'Your Name'")
    name = _plain(input("Your name in the group: ").strip(), "your name")
    if not name:
        raise MagnetError("a name is needed to join")
    return name


# ---- devices and revoke --------------------------------------------------------------------


def devices(args: argparse.Namespace) -> int:
    group = _open(args)
    try:
        doc = group.doc
        own = group.home.device.device_id
        book = PeerBook(group.path)
        rows = sorted(doc.devices.all(include_archived=True), key=lambda d: (d.revoked or d.archived, d.name.lower()))
        if not rows:
            print("No devices recorded yet.")
        for device in rows:
            member = doc.members.find(device.member_id) if device.member_id else None
            known = book.get(device.device_id)
            if device.device_id == own:
                state = "this device"
            elif device.revoked:
                state = "revoked" + (f" {device.revoked_at:%Y-%m-%d}" if device.revoked_at else "")
            elif device.archived:
                state = "archived"
            elif known is not None and known.last_sync:
                state = f"last sync {_ago(known.last_sync)}"
            else:
                state = "never synced with this device"
            who = shown(member.name) if member else "-"
            print(f"{readable_id(device.device_id)}  {shown(device.name):<24} {who:<20} {state}")
    finally:
        group.close()
    return 0


def _ago(moment: float) -> str:
    seconds = max(0.0, time.time() - moment)
    for size, unit in ((86400, "d"), (3600, "h"), (60, "min")):
        if seconds >= size:
            return f"{seconds // size:.0f} {unit} ago"
    return "just now"


def find_device(group: OpenGroup, ref: str) -> Device:
    """A device by id prefix, readable id (dashes optional) or name."""
    wanted = ref.strip().lower()
    compact = wanted.replace("-", "").upper()
    records = group.doc.devices.all(include_archived=True)
    matches = [d for d in records if d.device_id.startswith(wanted)] or [
        d for d in records if compact and readable_id(d.device_id).replace("-", "").startswith(compact)
    ]
    matches = matches or [d for d in records if d.name.lower() == wanted]
    if not matches:
        raise NotFound(f"no device matches {ref!r}; 'magnet devices' lists them")
    if len(matches) > 1:
        names = ", ".join(f"{d.name} ({readable_id(d.device_id)})" for d in matches)
        raise MagnetError(f"{ref!r} matches several devices: {names}")
    return matches[0]


def revoke(args: argparse.Namespace) -> int:
    group = _open(args)
    try:
        device = find_device(group, args.device)
        epoch = revoke_device(group, device)
        if epoch is None:
            print(f"{shown(device.name)} ({readable_id(device.device_id)}) was already revoked.")
            return 0
    finally:
        group.close()
    print(
        f"Revoked {shown(device.name)} ({readable_id(device.device_id)}): this device refuses it from now on, "
        "the others as soon as they sync with one that knows."
    )
    print(
        f"The group key moved to epoch {epoch}: the other devices get it the next time they sync with "
        "this one, or with any device that has it."
    )
    print("What the device already synced stays on it (see SECURITY.md).")
    return 0
