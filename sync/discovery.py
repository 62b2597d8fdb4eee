"""Finding peers on the local network with mDNS: advertise `_magnet._tcp.local.`, browse for others.

What is advertised says nothing about the group: a random instance name (new at every start),
the port, and TXT with only the protocol version (`v`), the group's hourly tag (`t`, which only
members can recognise) and, while invites are open, their public hints (`i`). IPv4 only.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from zeroconf import BadTypeInNameException, InterfaceChoice, IPVersion, ServiceStateChange, Zeroconf
from zeroconf.asyncio import AsyncServiceBrowser, AsyncServiceInfo, AsyncZeroconf

from sync.interfaces import local_ipv4

SERVICE_TYPE = "_magnet._tcp.local."
LOOKUP_MS = 3000
MAX_TXT_VALUE = 200

log = logging.getLogger("magnet.sync.discovery")


@dataclass(frozen=True)
class Service:
    """A magnet peer seen on the network."""

    name: str  # the instance name, random per run
    addresses: tuple[str, ...]
    port: int
    properties: dict[str, str]


def random_instance() -> str:
    return f"magnet-{secrets.token_hex(6)}"


class Discovery:
    """Advertises this node and reports peers that appear and leave. Runs on the node's loop."""

    def __init__(
        self,
        addresses: Sequence[str] | None,
        port: int,
        txt: dict[str, str],
        *,
        on_found: Callable[[Service], None],
        on_gone: Callable[[str], None],
        advertise: bool = True,
    ) -> None:
        self.advertise = advertise
        self.addresses = list(addresses) if addresses is not None else None
        self.port = port
        self.txt = dict(txt)
        self.instance = random_instance()
        self.on_found = on_found
        self.on_gone = on_gone
        self._zc: AsyncZeroconf | None = None
        self._browser: AsyncServiceBrowser | None = None
        self._info: AsyncServiceInfo | None = None
        self._lookups: set[asyncio.Task[None]] = set()

    @property
    def full_name(self) -> str:
        return f"{self.instance}.{SERVICE_TYPE}"

    async def start(self) -> None:
        interfaces: InterfaceChoice | list[str] = self.addresses if self.addresses else InterfaceChoice.All
        self._zc = AsyncZeroconf(interfaces=interfaces, ip_version=IPVersion.V4Only)
        self._info = self._service_info()
        self._browser = AsyncServiceBrowser(self._zc.zeroconf, SERVICE_TYPE, handlers=[self._on_change])
        if self.advertise:
            await self._zc.async_register_service(self._info)
            log.info("advertising %s on port %d", self.instance, self.port)

    def rename(self) -> None:
        """A new instance name (after a failed start: another device may hold this one)."""
        self.instance = random_instance()

    async def update(self, txt: dict[str, str]) -> None:
        """Advertise new TXT values (the hourly tag, a new epoch, open invites)."""
        self.txt = dict(txt)
        if self._zc is None or not self.advertise:
            return
        self._info = self._service_info()
        await self._zc.async_update_service(self._info)

    async def stop(self) -> None:
        """Say goodbye on the network and stop listening."""
        for task in list(self._lookups):
            task.cancel()
        if self._zc is None:
            return
        zc, self._zc = self._zc, None
        if self._browser is not None:
            with contextlib.suppress(Exception):
                await self._browser.async_cancel()
        with contextlib.suppress(Exception):
            await zc.async_unregister_all_services()
        await zc.async_close()

    def _service_info(self) -> AsyncServiceInfo:
        hosts = self.addresses or local_ipv4() or ["127.0.0.1"]
        properties = {key: value[:MAX_TXT_VALUE] for key, value in self.txt.items()}
        return AsyncServiceInfo(
            SERVICE_TYPE,
            self.full_name,
            port=self.port,
            properties=properties,
            addresses=[socket.inet_aton(h) for h in hosts],
            server=f"{self.instance}.local.",
        )

    def _on_change(self, zeroconf: Zeroconf, service_type: str, name: str, state_change: ServiceStateChange) -> None:
        if name == self.full_name:
            return
        if state_change is ServiceStateChange.Removed:
            self.on_gone(_instance(name))
            return
        task = asyncio.ensure_future(self._look_up(zeroconf, name))
        self._lookups.add(task)
        task.add_done_callback(self._lookups.discard)

    async def _look_up(self, zeroconf: Zeroconf, name: str) -> None:
        info = AsyncServiceInfo(SERVICE_TYPE, name)
        try:
            if not await info.async_request(zeroconf, LOOKUP_MS):
                return
        except (BadTypeInNameException, OSError, RuntimeError) as exc:
            log.debug("cannot look up %s: %s", name, exc)
            return
        addresses = tuple(info.parsed_addresses(IPVersion.V4Only))
        if not addresses or not info.port:
            return
        properties = {
            _text(key): _text(value)
            for key, value in (info.properties or {}).items()
            if isinstance(key, bytes) and isinstance(value, bytes)
        }
        self.on_found(Service(_instance(name), addresses, info.port, properties))


def _instance(name: str) -> str:
    return name.removesuffix("." + SERVICE_TYPE)


def _text(value: bytes) -> str:
    return value[:MAX_TXT_VALUE].decode("utf-8", "replace")
