"""`plate_detected` as the plate reader fires it (the fixed event contract)."""

from __future__ import annotations

from typing import Any

from hub.core.context import Context
from hub.core.hub import Hub


def plate_data(
    plate: str,
    camera: str = "camera.entry",
    direction: str = "entry",
    **extra: Any,
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "plate": plate,
        "confidence": 0.93,
        "camera": camera,
        "direction": direction,
        "box": [100, 200, 180, 40],
        "candidates": [],
        "snapshot": f"/data/lpr/{plate}.jpg",
        "crop": None,
        "list": None,
        "listed": "none",
        "time": "2026-03-02T08:00:00+00:00",
    }
    data.update(extra)
    return data


def read_plate(
    hub: Hub, plate: str, camera: str = "camera.entry", direction: str = "entry", **extra: Any
) -> Context:
    """Fire one pass's `plate_detected` with its own context; returns that context."""
    context = Context()
    hub.bus.async_fire(
        "plate_detected", plate_data(plate, camera, direction, **extra), context=context
    )
    return context
