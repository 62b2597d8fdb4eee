"""Which network interfaces the node uses: all by default, or those pinned by option or environment.

`--interface wlan0` on a Pi, `MAGNET_INTERFACES=127.0.0.1` in tests: the node then listens and
speaks mDNS on those addresses only, so nothing is ever sent on the machine's other networks.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Sequence

import ifaddr

from magnet.errors import MagnetError

INTERFACES_ENV = "MAGNET_INTERFACES"


def from_env() -> list[str] | None:
    """The comma-separated list in MAGNET_INTERFACES, or None when unset."""
    value = os.environ.get(INTERFACES_ENV, "").strip()
    return [part.strip() for part in value.split(",") if part.strip()] or None


def pinned(configured: Sequence[str] | None) -> list[str] | None:
    """The interfaces asked for: the node's configuration, else the environment, else None (all)."""
    if configured:
        return list(configured)
    return from_env()


def resolve(names: Sequence[str] | None) -> list[str] | None:
    """IPv4 addresses for interface names or addresses; None means every interface.

    An address is taken as given; a name (wlan0, eth0) gives that interface's IPv4 addresses.
    """
    if names is None:
        return None
    addresses: list[str] = []
    adapters = None
    for name in names:
        try:
            address = ipaddress.ip_address(name)
        except ValueError:
            if adapters is None:
                adapters = ifaddr.get_adapters()
            found = [
                str(ip.ip)
                for adapter in adapters
                if name in (adapter.name, adapter.nice_name)
                for ip in adapter.ips
                if ip.is_IPv4
            ]
            if not found:
                raise MagnetError(f"no network interface called {name!r} with an IPv4 address") from None
            addresses += found
            continue
        if address.version != 4:
            raise MagnetError(f"{name}: only IPv4 addresses are supported for now")
        addresses.append(str(address))
    return list(dict.fromkeys(addresses))


def local_ipv4() -> list[str]:
    """This machine's IPv4 addresses other than loopback (what an invite tells the new device)."""
    found: list[str] = []
    for adapter in ifaddr.get_adapters():
        for ip in adapter.ips:
            if ip.is_IPv4 and isinstance(ip.ip, str) and not ip.ip.startswith("127."):
                found.append(ip.ip)
    return list(dict.fromkeys(found))
