"""Slot occupancy: camera frames -> one binary sensor per slot and a free-spaces counter.

Each lot names a camera and its slots (polygons in camera pixels, inline or in a slots
file). Frames are classified in the executor by a small texture model (see model.py and
scripts/occupancy/train.py), gated by motion and smoothed over time (tracker.py). A lot can
be calibrated with `occupancy.calibrate`; its model is kept under `<data>/occupancy/`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from hub.core.bus import CALLBACK_TYPE, Event
from hub.core.const import EVENT_HUB_STOP
from hub.core.exceptions import HubError
from hub.core.hub import Hub

from .config import CONFIG_SCHEMA, LotConfig, lot_configs
from .const import DOMAIN, EVENT_RESERVATIONS_CHANGED
from .metrics import async_register_occupancy_metrics
from .slots import Slot, SlotsFileError, read_slots_file

if TYPE_CHECKING:
    from .lot import OccupancyLot
    from .tracker import LotWorker

__all__ = ["CONFIG_SCHEMA", "DOMAIN", "OccupancyData", "async_setup"]

_LOGGER = logging.getLogger(__name__)


@dataclass
class OccupancyData:
    """What `hub.data["occupancy"]` holds."""

    lots: dict[str, OccupancyLot] = field(default_factory=dict)
    configs: dict[str, LotConfig] = field(default_factory=dict)
    # The last `parking_reservations_changed` per lot, kept for a lot that is reloaded.
    reserved: dict[str, tuple[frozenset[str], int]] = field(default_factory=dict)
    on_unload: list[CALLBACK_TYPE] = field(default_factory=list)


def _load_lot(hub: Hub, config: LotConfig) -> tuple[list[Slot], LotWorker]:
    """Blocking: the lot's slots (file or config), and its worker with the lot's model
    (calibrated, configured or shipped) and sampling maps."""
    from .calibration import lot_model
    from .tracker import LotWorker

    slots = read_slots_file(config.slots_file) if config.slots_file else config.slots
    model = lot_model(hub.data_dir, config.name, config.model_file)
    return slots, LotWorker([slot.polygon for slot in slots], model, config.motion_threshold)


async def _async_start_lot(hub: Hub, config: LotConfig) -> OccupancyLot:
    from .lot import OccupancyLot
    from .model import ModelError

    try:
        slots, worker = await hub.async_add_executor_job(_load_lot, hub, config)
    except (SlotsFileError, ModelError) as err:
        raise HubError(f"occupancy lot {config.name!r}: {err}") from None
    lot = OccupancyLot(hub, config, slots, worker)
    await lot.async_start()
    return lot


async def async_setup(hub: Hub, config: dict[str, Any]) -> None:
    # numpy and OpenCV load here, in the setup that needs them, not with the config schema.
    from .http import async_register_http
    from .services import async_register_services

    data = OccupancyData()
    hub.data[DOMAIN] = data
    for lot_config in lot_configs(config, hub.config_dir):
        data.configs[lot_config.name] = lot_config
        data.lots[lot_config.name] = await _async_start_lot(hub, lot_config)

    async def reload_lot(name: str) -> OccupancyLot:
        old = data.lots.pop(name)
        old.async_stop()
        for entity in (*old.slot_sensors, old.free_sensor):
            await entity.async_remove()
        data.lots[name] = await _async_start_lot(hub, data.configs[name])
        if name in data.reserved:
            data.lots[name].async_set_reservations(*data.reserved[name])
        return data.lots[name]

    def reservations_changed(event: Event) -> None:
        """Parking's reservations (slots and "any space" holds) shown on a lot's entities."""
        name, slots, count_any = (event.data.get(key) for key in ("lot", "slots", "count_any"))
        if not (isinstance(name, str) and isinstance(slots, list) and isinstance(count_any, int)):
            _LOGGER.warning("Ignoring a malformed %s event: %s", EVENT_RESERVATIONS_CHANGED, event)
            return
        reserved = (frozenset(str(slot) for slot in slots), max(0, count_any))
        data.reserved[name] = reserved
        if (lot := data.lots.get(name)) is not None:
            lot.async_set_reservations(*reserved)

    data.on_unload.append(hub.bus.async_listen(EVENT_RESERVATIONS_CHANGED, reservations_changed))

    data.on_unload.extend(async_register_services(hub, data.lots, reload_lot))
    data.on_unload.append(async_register_occupancy_metrics(hub, data.lots))
    async_register_http(hub)

    def stop(_event: Any) -> None:
        for lot in data.lots.values():
            lot.async_stop()
        while data.on_unload:
            data.on_unload.pop()()

    data.on_unload.append(hub.bus.async_listen_once(EVENT_HUB_STOP, stop))
