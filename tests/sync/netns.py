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
from dataclasses import dataclass, field
from pathlib import Path

import pytest

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


def wait_for(condition: object, within: float, what: str) -> float:
    started = time.monotonic()
    while not condition():  # type: ignore[operator]
        if time.monotonic() - started > within:
            raise AssertionError(f"timed out after {within:g} s waiting for {what}")
        time.sleep(0.05)
    return time.monotonic() - started
