"""Zeroconf (mDNS/DNS-SD): browse for camera services, and announce the hub itself.

One AsyncZeroconf instance serves both. A browser callback only schedules a task that
asks for the service's details (address, port, TXT), so it never blocks the loop.
"""

from __future__ import annotations

import logging
import re
import socket
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Final

from zeroconf import InterfaceChoice, IPVersion, ServiceStateChange, Zeroconf
from zeroconf.asyncio import AsyncServiceBrowser, AsyncServiceInfo, AsyncZeroconf

from hub import __version__
from hub.validation import slugify

from .const import (
    CAMERA_SERVICE_TYPES,
    SOURCE_ZEROCONF,
    TYPE_AXIS,
    TYPE_HTTP,
    TYPE_PARKHUB,
    TYPE_RTSP,
)
from .models import DiscoveredDevice

if TYPE_CHECKING:
    from hub.core.hub import Hub

__all__ = ["ZeroconfDiscovery", "device_from_service", "has_camera_hint"]

_LOGGER = logging.getLogger(__name__)

REQUEST_TIMEOUT_MS: Final = 3000
# TXT keys or values that say "this web server is a camera".
_HINT_KEYS: Final = frozenset({"camera", "cam", "mjpeg", "snapshot", "stream", "onvif", "rtsp"})
_HINT_WORDS: Final = re.compile(r"camera|ipcam|webcam|mjpe?g|snapshot|onvif|nvr", re.IGNORECASE)
_AXIS_PATHS: Final = {
    "rtsp": "rtsp://{host}:554/axis-media/media.amp",
    "mjpeg": "http://{host}:{port}/axis-cgi/mjpg/video.cgi",
    "snapshot": "http://{host}:{port}/axis-cgi/jpg/image.cgi",
}


def _text(value: bytes | None) -> str:
    return value.decode("utf-8", "replace") if value is not None else ""


def has_camera_hint(properties: dict[str, str]) -> bool:
    """Whether an `_http._tcp` service's TXT record says it is a camera."""
    return any(
        key.lower() in _HINT_KEYS or _HINT_WORDS.search(key) or _HINT_WORDS.search(value)
        for key, value in properties.items()
    )


def _path(value: str, default: str) -> str:
    value = value or default
    return value if value.startswith("/") else f"/{value}"


def device_from_service(
    service_type: str, name: str, host: str, port: int, properties: dict[str, str]
) -> DiscoveredDevice | None:
    """The device a resolved service describes, or None when it is not a camera."""
    instance = name.removesuffix(f".{service_type}")
    device = DiscoveredDevice(
        id=f"zeroconf_{slugify(instance, default='device')}",
        source=SOURCE_ZEROCONF,
        name=instance,
        host=host,
        port=port,
        manufacturer=properties.get("manufacturer") or properties.get("vendor"),
        model=properties.get("model") or properties.get("product"),
        properties=properties,
    )
    if service_type == TYPE_RTSP:
        device.urls["rtsp"] = f"rtsp://{host}:{port}{_path(properties.get('path', ''), '/')}"
    elif service_type == TYPE_AXIS:
        device.manufacturer = device.manufacturer or "Axis"
        device.urls = {key: url.format(host=host, port=port) for key, url in _AXIS_PATHS.items()}
    elif service_type == TYPE_HTTP:
        if not has_camera_hint(properties):
            return None
        base = f"http://{host}:{port}"
        for key in ("mjpeg", "stream"):
            if key in properties:
                device.urls["mjpeg"] = base + _path(properties[key], "/")
                break
        if "snapshot" in properties:
            device.urls["snapshot"] = base + _path(properties["snapshot"], "/snapshot.jpg")
    else:
        return None
    return device


def _addresses(interfaces: list[str] | None) -> list[bytes]:
    """IPv4 addresses to announce: the configured interfaces', else every non-loopback one."""
    if interfaces:
        return [socket.inet_aton(address) for address in interfaces]
    import ifaddr  # zeroconf's own dependency

    found = [
        ip.ip
        for adapter in ifaddr.get_adapters()
        for ip in adapter.ips
        if isinstance(ip.ip, str) and not ip.ip.startswith("127.")
    ]
    return [socket.inet_aton(address) for address in found]


class ZeroconfDiscovery:
    """Browses camera service types and announces `_parkhub._tcp` and `_http._tcp`."""

    def __init__(
        self,
        hub: Hub,
        on_device: Callable[[DiscoveredDevice], None],
        interfaces: list[str] | None,
    ) -> None:
        self._hub = hub
        self._on_device = on_device
        self._interfaces = interfaces
        self._azc: AsyncZeroconf | None = None
        self._browser: AsyncServiceBrowser | None = None
        self._announced: list[AsyncServiceInfo] = []

    async def async_start(
        self, *, browse: bool = True, service_types: Iterable[str] = CAMERA_SERVICE_TYPES
    ) -> None:
        """Open the mDNS sockets; browse for cameras unless only announcing."""
        self._azc = AsyncZeroconf(
            interfaces=self._interfaces or InterfaceChoice.All,
            ip_version=IPVersion.V4Only,
        )
        if browse:
            self._browser = AsyncServiceBrowser(
                self._azc.zeroconf, list(service_types), handlers=[self._on_change]
            )

    async def async_announce(self, name: str, port: int) -> None:
        """Register the hub under its name, so phones and other hubs find it."""
        assert self._azc is not None
        addresses = await self._hub.async_add_executor_job(_addresses, self._interfaces)
        host = re.sub(r"[^a-z0-9-]+", "-", socket.gethostname().lower()).strip("-") or "parkhub"
        properties = {"version": __version__, "name": name, "api": "/api/"}
        for service_type in (TYPE_PARKHUB, TYPE_HTTP):
            info = AsyncServiceInfo(
                service_type,
                f"{name}.{service_type}",
                addresses=addresses,
                port=port,
                properties=properties,
                server=f"{host}.local.",
            )
            await self._azc.async_register_service(info, allow_name_change=True)
            self._announced.append(info)
        _LOGGER.info("Announced %s on port %d via zeroconf", name, port)

    async def async_stop(self) -> None:
        if self._browser is not None:
            await self._browser.async_cancel()
        if self._azc is not None:
            if self._announced:
                await self._azc.async_unregister_all_services()
            await self._azc.async_close()

    def _on_change(
        self,
        zeroconf: Zeroconf,
        service_type: str,
        name: str,
        state_change: ServiceStateChange,
    ) -> None:
        if state_change is ServiceStateChange.Removed:
            return
        if any(info.name == name for info in self._announced):
            return  # ourselves
        self._hub.async_create_task(
            self._async_resolve(zeroconf, service_type, name), f"zeroconf resolve {name}"
        )

    async def _async_resolve(self, zeroconf: Zeroconf, service_type: str, name: str) -> None:
        info = AsyncServiceInfo(service_type, name)
        if not await info.async_request(zeroconf, REQUEST_TIMEOUT_MS):
            _LOGGER.debug("No details for %s within %d ms", name, REQUEST_TIMEOUT_MS)
            return
        addresses = info.parsed_addresses(IPVersion.V4Only)
        if not addresses or info.port is None:
            return
        properties: dict[str, Any] = {
            _text(key): _text(value) for key, value in info.properties.items()
        }
        device = device_from_service(service_type, name, addresses[0], info.port, properties)
        if device is not None:
            self._on_device(device)
