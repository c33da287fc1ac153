"""REST: where each lot's spaces are, so the panel can draw them.

    GET /api/occupancy/lots

answers `{"lots": [{lot, camera, width, height, slots: [{id, entity_id, polygon,
group}]}]}`: polygons in the camera's pixels, and the frame size they are drawn on (the
camera's latest frame, else its reported resolution, else the polygons' extent). What
each space *is* comes from its `binary_sensor` over the WebSocket; this is only the
geometry, which changes when an owner edits the slots (then the lot is reloaded).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from aiohttp import web

from hub.web.api_doc import api_doc
from hub.web.helpers import async_register_route, json_response

from .const import DOMAIN

if TYPE_CHECKING:
    from hub.core.hub import Hub

    from . import OccupancyData
    from .lot import OccupancyLot

__all__ = ["LOTS_PATH", "async_register_http", "lot_geometry"]

LOTS_PATH = "/api/occupancy/lots"


def _frame_size(hub: Hub, lot: OccupancyLot) -> tuple[int, int]:
    if lot.latest_image is not None:
        height, width = lot.latest_image.shape[:2]
        return int(width), int(height)
    camera = hub.states.get(lot.config.camera)
    resolution = camera.attributes.get("resolution") if camera is not None else None
    if isinstance(resolution, str) and "x" in resolution:
        width_text, _, height_text = resolution.partition("x")
        if width_text.isdigit() and height_text.isdigit():
            return int(width_text), int(height_text)
    points = [point for slot in lot.slots for point in slot.polygon] or [(1.0, 1.0)]
    return math.ceil(max(x for x, _ in points)), math.ceil(max(y for _, y in points))


def lot_geometry(hub: Hub, lot: OccupancyLot) -> dict[str, Any]:
    """One lot's spaces as the panel draws them."""
    width, height = _frame_size(hub, lot)
    return {
        "lot": lot.name,
        "camera": lot.config.camera,
        "width": width,
        "height": height,
        "slots": [
            {
                "id": slot.id,
                "entity_id": sensor.entity_id,
                "polygon": [list(point) for point in slot.polygon],
                "group": slot.group,
            }
            for slot, sensor in zip(lot.slots, lot.slot_sensors, strict=True)
        ],
    }


def async_register_http(hub: Hub) -> None:
    @api_doc(
        "Each lot's slots, polygons and camera",
        tag="occupancy",
        response={"type": "object"},
        errors=(),
    )
    async def lots(_request: web.Request) -> web.Response:
        data: OccupancyData = hub.data[DOMAIN]
        return json_response({"lots": [lot_geometry(hub, lot) for lot in data.lots.values()]})

    async_register_route(hub, "GET", LOTS_PATH, lots)
