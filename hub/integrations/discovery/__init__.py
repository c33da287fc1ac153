"""Discovery: cameras found by zeroconf and ONVIF WS-Discovery (and devices other
integrations announce), listed for adoption; the hub announces itself over zeroconf.

Found devices fire `device_discovered` and appear at `GET /api/discovery`; adopting one
(`POST /api/discovery/{id}/adopt`) writes a camera entry to the data directory, ignoring
one (`.../ignore`) hides it. Another integration (MQTT) adds devices by firing
`device_discovered` with a `source` of its own (see models.DEVICE_SCHEMA).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

import voluptuous as vol

from hub import validation as cv
from hub.core.bus import CALLBACK_TYPE, Event
from hub.core.const import EVENT_HUB_STOP
from hub.core.services import describe_invalid

from .api import async_register_api
from .const import (
    CONF_ANNOUNCE,
    CONF_INTERFACES,
    CONF_ONVIF,
    CONF_ONVIF_INTERVAL,
    CONF_ONVIF_TARGET,
    CONF_ZEROCONF,
    DEFAULT_ONVIF_INTERVAL,
    DOMAIN,
    EVENT_DEVICE_DISCOVERED,
    OWN_SOURCES,
    WS_DISCOVERY_ADDRESS,
    WS_DISCOVERY_PORT,
)
from .mdns import ZeroconfDiscovery
from .models import DiscoveredDevice
from .onvif import OnvifProber
from .registry import DiscoveryRegistry

if TYPE_CHECKING:
    from hub.core.hub import Hub

__all__ = ["CONFIG_SCHEMA", "DOMAIN", "EVENT_DEVICE_DISCOVERED", "async_setup"]

_LOGGER = logging.getLogger(__name__)


def _host_port(value: Any) -> tuple[str, int]:
    """`host:port` (the port defaults to WS-Discovery's 3702)."""
    text = cv.string(value).strip()
    host, _, port = text.rpartition(":") if ":" in text else (text, "", str(WS_DISCOVERY_PORT))
    try:
        return host or text, cv.port(port)
    except vol.Invalid as err:
        raise vol.Invalid(f"expected host:port, got {cv.describe_value(value)} ({err})") from None


def _interfaces(value: Any) -> list[str] | None:
    """`all` (None), or a list of IPv4 addresses to use."""
    if value == "all":
        return None
    addresses = [cv.string(item) for item in cv.ensure_list(value)]
    for address in addresses:
        parts = address.split(".")
        if len(parts) != 4 or not all(part.isdigit() and int(part) < 256 for part in parts):
            raise vol.Invalid(f"expected 'all' or IPv4 addresses, got {address!r}")
    return addresses


CONFIG_SCHEMA: Final = vol.Schema(
    vol.All(
        cv.empty_block,
        vol.Schema(
            {
                vol.Optional(
                    CONF_ZEROCONF, default=True, description="Browse for cameras via mDNS"
                ): cv.boolean,
                vol.Optional(
                    CONF_INTERFACES,
                    default="all",
                    description="'all' or the IPv4 addresses to browse and announce on",
                ): _interfaces,
                vol.Optional(
                    CONF_ANNOUNCE,
                    default=True,
                    description="Announce the hub as _parkhub._tcp and _http._tcp",
                ): cv.boolean,
                vol.Optional(
                    CONF_ONVIF, default=True, description="Probe for ONVIF cameras"
                ): cv.boolean,
                vol.Optional(
                    CONF_ONVIF_TARGET,
                    default=f"{WS_DISCOVERY_ADDRESS}:{WS_DISCOVERY_PORT}",
                    description="Where probes go (the WS-Discovery multicast group)",
                ): _host_port,
                vol.Optional(
                    CONF_ONVIF_INTERVAL,
                    default=timedelta(seconds=DEFAULT_ONVIF_INTERVAL),
                    description="How often to probe again",
                ): cv.positive_time_period,
            },
            extra=vol.PREVENT_EXTRA,
        ),
    )
)


@dataclass(slots=True)
class DiscoveryRuntime:
    """What the integration keeps in `hub.data["discovery"]`."""

    registry: DiscoveryRegistry
    zeroconf: ZeroconfDiscovery | None
    onvif: OnvifProber | None


async def async_setup(hub: Hub, config: dict[str, Any]) -> None:
    registry = DiscoveryRegistry(hub)
    await registry.async_load()
    unsubscribe: list[CALLBACK_TYPE] = []

    def on_announced(event: Event) -> None:
        """A device another integration found (MQTT): listed, not announced again."""
        if event.data.get("source") in OWN_SOURCES:
            return
        try:
            device = DiscoveredDevice.from_event_data(event.data)
        except vol.Invalid as err:
            _LOGGER.warning(
                "Ignoring a %s event with bad data: %s", event.event_type, describe_invalid(err)
            )
            return
        registry.async_add(device, announce=False)

    unsubscribe.append(hub.bus.async_listen(EVENT_DEVICE_DISCOVERED, on_announced))

    zeroconf: ZeroconfDiscovery | None = None
    announcing: asyncio.Task[None] | None = None
    if config[CONF_ZEROCONF] or config[CONF_ANNOUNCE]:
        zeroconf = ZeroconfDiscovery(hub, registry.async_add, config[CONF_INTERFACES])
        await zeroconf.async_start(browse=config[CONF_ZEROCONF])
        if config[CONF_ANNOUNCE]:
            # Probing the name takes a second or two: not worth holding up the start.
            announcing = hub.async_create_background_task(
                zeroconf.async_announce(hub.config.name, hub.config.port), "zeroconf announce"
            )

    onvif: OnvifProber | None = None
    if config[CONF_ONVIF]:
        onvif = OnvifProber(config[CONF_ONVIF_TARGET], registry.async_add)
        await onvif.async_start()
        onvif.async_probe()

        def probe(_now: datetime) -> None:
            assert onvif is not None
            onvif.async_probe()

        unsubscribe.append(hub.scheduler.async_track_interval(config[CONF_ONVIF_INTERVAL], probe))

    hub.data[DOMAIN] = DiscoveryRuntime(registry, zeroconf, onvif)
    async_register_api(hub)

    async def async_stop(_event: Event) -> None:
        for undo in unsubscribe:
            undo()
        if onvif is not None:
            onvif.async_stop()
        if announcing is not None and not announcing.done():
            announcing.cancel()
            await asyncio.wait([announcing])
        if zeroconf is not None:
            await zeroconf.async_stop()

    hub.bus.async_listen_once(EVENT_HUB_STOP, async_stop)
