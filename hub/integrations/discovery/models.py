"""A device found on the network (or announced over MQTT) and waiting to be adopted."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

import voluptuous as vol

from hub import validation as cv

from .const import CAMERA_SOURCES, KIND_CAMERA

__all__ = ["DEVICE_SCHEMA", "DiscoveredDevice"]

# The data of a `device_discovered` event, from this integration or another (MQTT).
DEVICE_SCHEMA: Final = vol.Schema(
    {
        vol.Required("id"): cv.slug,
        vol.Required("source"): cv.slug,
        vol.Optional("name"): cv.string,
        vol.Optional("kind", default=KIND_CAMERA): cv.slug,
        vol.Optional("host"): vol.Any(None, cv.string),
        vol.Optional("port"): vol.Any(None, cv.port),
        vol.Optional("urls", default=dict): {vol.In(CAMERA_SOURCES): cv.string},
        vol.Optional("manufacturer"): vol.Any(None, cv.string),
        vol.Optional("model"): vol.Any(None, cv.string),
        vol.Optional("properties", default=dict): {cv.string: vol.Any(None, str, int, float)},
    },
    extra=vol.REMOVE_EXTRA,
)


@dataclass(slots=True)
class DiscoveredDevice:
    """What the panel shows in its "found on the network" list."""

    id: str
    source: str
    name: str
    kind: str = KIND_CAMERA
    host: str | None = None
    port: int | None = None
    urls: dict[str, str] = field(default_factory=dict)
    manufacturer: str | None = None
    model: str | None = None
    properties: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_event_data(cls, data: Any) -> DiscoveredDevice:
        """Validate `device_discovered` data (raises vol.Invalid naming the field)."""
        clean = DEVICE_SCHEMA(dict(data))
        clean.setdefault("name", clean["id"])
        return cls(**clean)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "source": self.source,
            "name": self.name,
            "kind": self.kind,
            "host": self.host,
            "port": self.port,
            "urls": dict(self.urls),
            "manufacturer": self.manufacturer,
            "model": self.model,
            "properties": dict(self.properties),
        }

    def merge(self, other: DiscoveredDevice) -> bool:
        """Take what `other` adds (another service of the same device); True if changed."""
        before = self.as_dict()
        self.urls = {**self.urls, **other.urls}
        self.properties = {**self.properties, **other.properties}
        self.host = other.host or self.host
        self.port = self.port or other.port
        self.manufacturer = self.manufacturer or other.manufacturer
        self.model = self.model or other.model
        return self.as_dict() != before
