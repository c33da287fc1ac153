"""`occupancy.calibrate` (label the lot's latest frame, refit its model) and
`occupancy.save_slots` (write a lot's slots file and reload the lot)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import numpy as np
import voluptuous as vol

from hub import validation as cv
from hub.core.bus import CALLBACK_TYPE
from hub.core.exceptions import ServiceValidationError
from hub.core.hub import Hub
from hub.core.services import ServiceCall

from .calibration import add_samples_and_fit
from .const import DOMAIN, SERVICE_CALIBRATE, SERVICE_SAVE_SLOTS
from .lot import OccupancyLot
from .samples import LabelledSamples
from .slots import SLOTS_SCHEMA, slots_from_config, write_slots_file

__all__ = ["async_register_services"]

CALIBRATE_SCHEMA = vol.Schema(
    {
        vol.Required("lot"): cv.slug,
        # Slots that hold a car in the lot's latest frame; every other slot is free ...
        vol.Required("occupied"): vol.All(cv.ensure_list, [vol.Coerce(str)]),
        # ... except these, which are left out (half-hidden, a person standing there).
        vol.Optional("skip", default=[]): vol.All(cv.ensure_list, [vol.Coerce(str)]),
    }
)
SAVE_SLOTS_SCHEMA = vol.Schema({vol.Required("lot"): cv.slug, vol.Required("slots"): SLOTS_SCHEMA})


def async_register_services(
    hub: Hub,
    lots: dict[str, OccupancyLot],
    reload_lot: Callable[[str], Awaitable[OccupancyLot]],
) -> list[CALLBACK_TYPE]:
    def lot_named(name: str) -> OccupancyLot:
        if name not in lots:
            known = ", ".join(sorted(lots)) or "none"
            raise ServiceValidationError(f"lot: no lot named {name!r} (lots: {known})")
        return lots[name]

    async def calibrate(call: ServiceCall) -> dict[str, Any]:
        lot = lot_named(call.data["lot"])
        if lot.latest_image is None:
            raise ServiceValidationError(f"lot {lot.name!r} has not received a frame yet")
        ids = [slot.id for slot in lot.slots]
        unknown = sorted((set(call.data["occupied"]) | set(call.data["skip"])) - set(ids))
        if unknown:
            raise ServiceValidationError(
                f"occupied/skip: no such slot(s) in lot {lot.name!r}: {unknown}"
            )
        keep = np.array([slot_id not in call.data["skip"] for slot_id in ids], bool)
        occupied = [slot_id in call.data["occupied"] for slot_id in ids]
        image = lot.latest_image

        def fit() -> tuple[Any, int]:
            samples = LabelledSamples.of_image(lot.worker.classifier, image, occupied, keep)
            return add_samples_and_fit(hub.data_dir, lot.name, samples)

        model, count = await hub.async_add_executor_job(fit)
        if model is not None:
            lot.async_set_model(model)
        return {"lot": lot.name, "labelled_slots": count, "calibrated": model is not None}

    async def save_slots(call: ServiceCall) -> dict[str, Any]:
        lot = lot_named(call.data["lot"])
        path = lot.config.slots_file
        if path is None:
            raise ServiceValidationError(
                f"lot {lot.name!r} keeps its slots in config.yaml; give it a slots_file to save to"
            )
        slots = slots_from_config(call.data["slots"])
        await hub.async_add_executor_job(write_slots_file, path, slots, None)
        await reload_lot(lot.name)
        return {"lot": lot.name, "slots": len(slots), "file": str(path)}

    return [
        hub.services.async_register(DOMAIN, SERVICE_CALIBRATE, calibrate, CALIBRATE_SCHEMA),
        hub.services.async_register(DOMAIN, SERVICE_SAVE_SLOTS, save_slots, SAVE_SLOTS_SCHEMA),
    ]
