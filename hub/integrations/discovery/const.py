"""Names of the discovery integration: config keys, defaults, files, events, service types."""

from __future__ import annotations

from typing import Final

DOMAIN: Final = "discovery"
EVENT_DEVICE_DISCOVERED: Final = "device_discovered"

# In the data directory: what the owner ignored and adopted; adopted camera entries.
STATE_FILE: Final = "discovery.json"
ADOPTED_CAMERAS_FILE: Final = "cameras_adopted.json"

SOURCE_ZEROCONF: Final = "zeroconf"
SOURCE_ONVIF: Final = "onvif"
# Devices this integration finds itself; any other source arrives as an event.
OWN_SOURCES: Final = frozenset({SOURCE_ZEROCONF, SOURCE_ONVIF})

KIND_CAMERA: Final = "camera"
# Camera entry sources, best first: what adopting picks when a device offers several.
CAMERA_SOURCES: Final = ("rtsp", "mjpeg", "snapshot")

TYPE_RTSP: Final = "_rtsp._tcp.local."
TYPE_AXIS: Final = "_axis-video._tcp.local."
TYPE_HTTP: Final = "_http._tcp.local."
TYPE_PARKHUB: Final = "_parkhub._tcp.local."
CAMERA_SERVICE_TYPES: Final = (TYPE_RTSP, TYPE_AXIS, TYPE_HTTP)

CONF_ZEROCONF: Final = "zeroconf"
CONF_INTERFACES: Final = "interfaces"
CONF_ANNOUNCE: Final = "announce"
CONF_ONVIF: Final = "onvif"
CONF_ONVIF_TARGET: Final = "onvif_target"
CONF_ONVIF_INTERVAL: Final = "onvif_interval"

WS_DISCOVERY_ADDRESS: Final = "239.255.255.250"
WS_DISCOVERY_PORT: Final = 3702
DEFAULT_ONVIF_INTERVAL: Final = 300.0
