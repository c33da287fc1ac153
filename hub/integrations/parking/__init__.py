"""Parking sessions: plate reads at a lot's entry and exit become sessions with a fee.

An entry read starts a session (plate, time, snapshot, list), an exit read ends it with
its duration and fee (tariff.py); overstays and anomalies fire events; reservations hold
spaces that occupancy shows. Everything is kept in `<data>/parking.db` and comes back
after a restart. The pieces: `config.py`, `tariff.py` (pure fee rules), `store.py`
(SQLite), `manager.py` (sessions, overstay, anomalies), `reservations.py`, `passage.py`
(gate passages with no plate), `entity.py`, `services.py`, `http.py`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from hub.core.bus import CALLBACK_TYPE, Event
from hub.core.const import EVENT_HUB_STARTED, EVENT_HUB_STOP, EVENT_PLATE_DETECTED
from hub.core.hub import CoreState
from hub.database import hub_node
from hub.entity import async_add_entities

from .config import CONFIG_SCHEMA, ParkingConfig, parking_config
from .const import DB_FILE, DOMAIN
from .entity import ActiveSessionsSensor, ReservationsSensor, RevenueTodaySensor
from .http import async_register_http
from .manager import ParkingManager
from .passage import PassageWatcher
from .report import async_register_report
from .reservations import ReservationBook
from .services import async_register_services
from .store import ParkingStore

if TYPE_CHECKING:
    from hub.core.hub import Hub

__all__ = ["CONFIG_SCHEMA", "DOMAIN", "ParkingData", "async_setup"]

_LOGGER = logging.getLogger(__name__)


@dataclass
class ParkingData:
    """What `hub.data["parking"]` holds."""

    config: ParkingConfig
    store: ParkingStore
    manager: ParkingManager
    reservations: ReservationBook
    passages: PassageWatcher
    on_unload: list[CALLBACK_TYPE] = field(default_factory=list)


async def async_setup(hub: Hub, config: dict[str, Any]) -> None:
    parking = parking_config(config)
    store = await ParkingStore.async_open(parking.db_url or hub.data_dir / DB_FILE, hub_node(hub))
    book = ReservationBook(hub, parking, store)
    manager = ParkingManager(hub, parking, store, book)
    passages = PassageWatcher(hub, parking, manager.fire_anomaly)
    data = ParkingData(parking, store, manager, book, passages)
    hub.data[DOMAIN] = data
    try:
        await manager.async_load()
        await book.async_load()
    except BaseException:
        await store.async_close()
        raise
    manager.read_listeners.append(passages.note_read)
    # Synchronous, and set up before automations (their manifest lists parking): the
    # session write is in flight before any automation's gate.open runs.
    data.on_unload.append(hub.bus.async_listen(EVENT_PLATE_DETECTED, manager.async_on_plate))
    passages.async_start()
    data.on_unload.append(passages.async_stop)
    data.on_unload.append(manager.async_stop)
    data.on_unload.append(book.async_stop)
    data.on_unload.extend(async_register_services(hub, manager, book))
    async_register_http(hub, manager)
    async_register_report(hub, manager)

    entities = []
    for lot_id in parking.lots:
        entities += [
            ActiveSessionsSensor(lot_id, manager),
            RevenueTodaySensor(lot_id, manager),
            ReservationsSensor(lot_id, book),
        ]
    await async_add_entities(hub, DOMAIN, entities)

    def announce(_event: Event | None = None) -> None:
        """Tell occupancy what is reserved, once it is listening (it may start after us)."""
        for lot in parking.lots.values():
            book.async_announce(lot)

    announce()
    if hub.state in (CoreState.not_running, CoreState.starting):
        data.on_unload.append(hub.bus.async_listen_once(EVENT_HUB_STARTED, announce))

    async def stop(_event: Event) -> None:
        while data.on_unload:
            data.on_unload.pop()()
        # Writes started before stop finish first: the store runs them in order.
        await hub.async_wait_writes()
        await store.async_close()

    hub.bus.async_listen_once(EVENT_HUB_STOP, stop)
