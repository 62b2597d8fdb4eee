"""Separate hosts on one machine: network namespaces on a bridge (DESIGN.md's recipe), always removed.

Each host is a namespace with one veth into a hub namespace holding the bridge, an address in
10.231.0.0/24 and a multicast route, so mDNS and TCP between hosts are real and never touch the
machine's own interfaces. Names carry a random tag, so runs never collide.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from syncnodes import found_group, member_of

from magnet.groupkey import KeyRing
from magnet.home import Home, OpenGroup

SUBNET = "10.231.0"


def require_namespaces() -> None:
    """Skip (with the reason) where namespaces cannot be made: not root, or no iproute2."""
    if sys.platform != "linux":
        pytest.skip("network namespaces are a Linux feature")
    elif shutil.which("ip") is None:
        pytest.skip("the 'ip' command (iproute2) is not installed")
    elif os.geteuid() != 0:
        pytest.skip("creating network namespaces needs root (CI runs these as root)")


def ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=20)


@dataclass
class Host:
    name: str
    namespace: str
    veth: str
    address: str
    home: Path
    processes: list[subprocess.Popen[str]] = field(default_factory=list)


class Bridge:
    """A hub namespace with a bridge, and hosts plugged into it."""

    def __init__(self, root: Path) -> None:
        self.tag = secrets.token_hex(3)
        self.root = root
        self.hub = f"mg{self.tag}hub"
        self.hosts: dict[str, Host] = {}
        self.namespaces: list[str] = []
        try:
            self._namespace(self.hub)
        except subprocess.CalledProcessError as exc:
            self.close()
            pytest.skip(f"cannot create network namespaces here: {exc.stderr.decode().strip()}")
        ip("-n", self.hub, "link", "add", "br0", "type", "bridge")
        ip("-n", self.hub, "link", "set", "br0", "up")

    def _namespace(self, name: str) -> None:
        ip("netns", "add", name)
        self.namespaces.append(name)
        ip("-n", name, "link", "set", "lo", "up")

    def add(self, name: str, home: Path) -> Host:
        number = len(self.hosts) + 11
        host = Host(name, f"mg{self.tag}{name}", f"v{self.tag}{name}", f"{SUBNET}.{number}", home)
        self._namespace(host.namespace)
        ip("-n", self.hub, "link", "add", host.veth, "type", "veth", "peer", "name", "eth0", "netns", host.namespace)
        ip("-n", self.hub, "link", "set", host.veth, "master", "br0")
        ip("-n", self.hub, "link", "set", host.veth, "up")
        ip("-n", host.namespace, "addr", "add", f"{host.address}/24", "dev", "eth0")
        ip("-n", host.namespace, "link", "set", "eth0", "up")
        ip("-n", host.namespace, "route", "add", "224.0.0.0/4", "dev", "eth0")
        self.hosts[name] = host
        return host

    def cut(self, host: Host) -> None:
        """Pull the host's cable: a real partition."""
        ip("-n", self.hub, "link", "set", host.veth, "down")

    def heal(self, host: Host) -> None:
        ip("-n", self.hub, "link", "set", host.veth, "up")

    def _command(self, host: Host, *args: str) -> list[str]:
        return ["ip", "netns", "exec", host.namespace, sys.executable, "-m", "magnet", "--home", str(host.home), *args]

    def _env(self, host: Host) -> dict[str, str]:
        return {**os.environ, "MAGNET_INTERFACES": host.address, "MAGNET_HOME": str(host.home)}

    def magnet(self, host: Host, *args: str) -> str:
        """Run a magnet command on the host; its standard output."""
        result = subprocess.run(
            self._command(host, *args), capture_output=True, text=True, timeout=60, env=self._env(host), check=False
        )
        if result.returncode != 0:
            raise AssertionError(f"magnet {' '.join(args)} on {host.name} failed: {result.stderr}")
        return result.stdout

    def python(self, host: Host, script: Path, *args: str) -> str:
        """Run a Python script inside the host (with magnet importable); its standard output."""
        env = {**self._env(host), "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
        result = subprocess.run(
            ["ip", "netns", "exec", host.namespace, sys.executable, str(script), *args],
            capture_output=True,
            text=True,
            timeout=60,
            env=env,
            check=False,
        )
        if result.returncode != 0:
            raise AssertionError(f"{script.name} on {host.name} failed: {result.stderr}")
        return result.stdout

    def serve(self, host: Host, *args: str) -> subprocess.Popen[str]:
        log = (self.root / f"{host.name}-serve.log").open("a")
        process = subprocess.Popen(
            self._command(host, "serve", "--keepalive", "0.5", "-v", *args),
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
            env=self._env(host),
        )
        log.close()
        host.processes.append(process)
        return process

    def log(self, host: Host) -> str:
        path = self.root / f"{host.name}-serve.log"
        return path.read_text() if path.exists() else ""

    def stop(self, host: Host, *, kill: bool = False) -> None:
        for process in host.processes:
            if process.poll() is None:
                process.kill() if kill else process.terminate()  # SIGKILL or SIGTERM
        for process in host.processes:
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
        host.processes.clear()

    def close(self) -> None:
        """Stop every process and delete every namespace (the veths and bridge go with them)."""
        for host in self.hosts.values():
            self.stop(host)
        for name in reversed(self.namespaces):
            subprocess.run(["ip", "netns", "del", name], capture_output=True, timeout=20, check=False)
        self.namespaces.clear()


class Hosts:
    """Hosts of one group, and a reader of each host's store from outside."""

    def __init__(
        self,
        bridge: Bridge,
        root: Path,
        names: list[str],
        *,
        coordinators: tuple[str, ...] = (),
        offline: tuple[str, ...] = (),
    ) -> None:
        """`names` get a host each (the first founds the group); `coordinators` are put on the
        core team; `offline` are devices of the group that never run (a lost laptop)."""
        first = found_group(root, member=names[0])
        others = [member_of(root, first, name) for name in [*names[1:], *offline]]
        for group in others:
            if group.home.root.name in {c.lower() for c in coordinators}:
                [device] = first.doc.devices.filter(device_id=group.home.device.device_id)
                first.doc.members.update(device.member_id, level="core_team")
        for group in others:  # everyone starts from the same copy
            group.doc.merge_saved(first.doc.save())
        for group in (first, *others):
            group.close()
        self.bridge = bridge
        self.hosts = [bridge.add(name.lower(), root / name.lower()) for name in names]
        self.offline = {name.lower(): Home(root / name.lower()) for name in offline}
        self._readers: dict[str, OpenGroup] = {}

    def __iter__(self) -> Iterator[Host]:
        return iter(self.hosts)

    def read(self, host: Host) -> OpenGroup:
        group = self._readers.get(host.name)
        if group is None:
            group = self._readers[host.name] = Home(host.home).open_group()
        group.poll()
        return group

    def has(self, host: Host, record_id: str) -> bool:
        return self.read(host).doc.members.find(record_id) is not None

    def converged(self) -> bool:
        heads = [sorted(self.read(h).doc.heads()) for h in self.hosts]
        return all(h == heads[0] for h in heads[1:])

    def keys(self, host: Host) -> KeyRing:
        return KeyRing.load(self.read(host).path)

    def close(self) -> None:
        for group in self._readers.values():
            group.close()


def wait_for(condition: object, within: float, what: str) -> float:
    started = time.monotonic()
    while not condition():  # type: ignore[operator]
        if time.monotonic() - started > within:
            raise AssertionError(f"timed out after {within:g} s waiting for {what}")
        time.sleep(0.05)
    return time.monotonic() - started
