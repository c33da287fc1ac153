"""`lpr.scan`, `lpr.add_plate` and `lpr.remove_plate`, each with its schema."""

from __future__ import annotations

from typing import Any

import voluptuous as vol

from hub import validation as cv
from hub.core.exceptions import ServiceValidationError
from hub.core.services import ServiceCall
from hub.web.schema_doc import documented

from .config import ENTRY_SCHEMA, plate_text
from .const import (
    CONF_CAMERA,
    CONF_NOTE,
    CONF_PLATE,
    CONF_VALID_FROM,
    CONF_VALID_UNTIL,
    DOMAIN,
    SERVICE_ADD_PLATE,
    SERVICE_REMOVE_PLATE,
    SERVICE_SCAN,
)
from .runtime import LprRuntime

__all__ = ["ADD_PLATE_SCHEMA", "async_register_services"]

SCAN_SCHEMA = vol.Schema({vol.Optional(CONF_CAMERA): cv.entity_ids})


@documented(
    vol.All(vol.Schema({vol.Required("list"): cv.string}, extra=vol.ALLOW_EXTRA), ENTRY_SCHEMA)
)
def _add_plate_data(data: Any) -> dict[str, Any]:
    """`list` plus one list entry (plate, note, valid_from, valid_until)."""
    if not isinstance(data, dict):
        raise vol.Invalid("expected an object with list and plate")
    if "list" not in data:
        raise vol.Invalid("required key not provided", path=["list"])
    entry: dict[str, Any] = ENTRY_SCHEMA({k: v for k, v in data.items() if k != "list"})
    return {"list": cv.string(data["list"]), **entry}


ADD_PLATE_SCHEMA = vol.Schema(_add_plate_data)
REMOVE_PLATE_SCHEMA = vol.Schema(
    {vol.Required("list"): cv.string, vol.Required(CONF_PLATE): plate_text}
)


def async_register_services(runtime: LprRuntime) -> None:
    hub = runtime.hub

    async def scan(call: ServiceCall) -> dict[str, Any]:
        cameras: list[str] = call.data.get(CONF_CAMERA) or list(runtime.watchers)
        unknown = [camera for camera in cameras if camera not in runtime.watchers]
        if unknown:
            watched = ", ".join(sorted(runtime.watchers)) or "none"
            raise ServiceValidationError(
                f"camera {', '.join(unknown)} is not watched by lpr (watched: {watched})"
            )
        found: dict[str, Any] = {}
        for camera in cameras:
            reads = await runtime.watchers[camera].async_scan(call.context)
            found[camera] = [
                {"plate": read.text, "confidence": read.confidence, "box": list(read.box)}
                for read in reads
            ]
        return found

    async def add_plate(call: ServiceCall) -> dict[str, Any]:
        data = call.data
        entry = await runtime.async_add_plate(
            data["list"],
            data[CONF_PLATE],
            data.get(CONF_NOTE),
            data.get(CONF_VALID_FROM),
            data.get(CONF_VALID_UNTIL),
        )
        return entry.as_dict()

    async def remove_plate(call: ServiceCall) -> dict[str, Any]:
        entry = await runtime.async_remove_plate(call.data["list"], call.data[CONF_PLATE])
        return entry.as_dict()

    services = hub.services
    runtime.on_stop.extend(
        [
            services.async_register(DOMAIN, SERVICE_SCAN, scan, SCAN_SCHEMA, "Read plates now"),
            services.async_register(
                DOMAIN, SERVICE_ADD_PLATE, add_plate, ADD_PLATE_SCHEMA, "Put a plate on a list"
            ),
            services.async_register(
                DOMAIN,
                SERVICE_REMOVE_PLATE,
                remove_plate,
                REMOVE_PLATE_SCHEMA,
                "Take a plate off a list",
            ),
        ]
    )
