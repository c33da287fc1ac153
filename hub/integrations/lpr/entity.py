"""`sensor.<camera>_last_plate`: the last plate each watched camera reported."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hub.entity import Entity

__all__ = ["LastPlateSensor"]

# The event's keys the sensor shows as attributes (the snapshot as a URL instead).
_ATTRIBUTES = ("confidence", "time", "direction", "listed", "list")


class LastPlateSensor(Entity):
    """State: the plate; attributes: confidence, time, direction, snapshot url, listed, list.

    Restored after a restart, so the panel still shows the last car.
    """

    domain = "sensor"
    _attr_should_restore = True
    _attr_icon = "mdi:car-info"

    def __init__(self, camera: str) -> None:
        super().__init__()
        object_id = camera.split(".", 1)[1]
        self._attr_unique_id = f"lpr_{camera}_last_plate"
        self._attr_name = f"{object_id} last plate"

    def async_show(self, data: Mapping[str, Any], snapshot_url: str | None) -> None:
        """Follow one `plate_detected` event (its context is set by the caller)."""
        self._attr_state = data["plate"]
        attributes = {key: data.get(key) for key in _ATTRIBUTES}
        attributes["snapshot"] = snapshot_url
        self._attr_extra_state_attributes = attributes
        self.async_write_state()
