"""A lot's parking entities: active sessions, revenue today and reservations.

`sensor.<lot>_revenue_today` is in major units of the hub's currency (`12.50`, unit
`EUR`), as Home Assistant's monetary sensors are; the exact integer is in its
`minor_units` attribute. "Today" is the local calendar day (the hub's time zone): fees of
the lot's sessions that ended since local midnight; it starts again from 0 at midnight.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from hub.core.bus import CALLBACK_TYPE
from hub.entity import Entity

from .const import DOMAIN

if TYPE_CHECKING:
    from .manager import ParkingManager
    from .reservations import ReservationBook

__all__ = ["ActiveSessionsSensor", "ReservationsSensor", "RevenueTodaySensor", "format_money"]

_LOGGER = logging.getLogger(__name__)

# ISO 4217 currencies without a minor unit (or with three digits); the rest have two.
_EXPONENTS = {
    **dict.fromkeys(("JPY", "KRW", "VND", "CLP", "ISK", "UGX", "XAF", "XOF", "PYG"), 0),
    **dict.fromkeys(("BHD", "KWD", "OMR", "JOD", "TND", "IQD", "LYD"), 3),
}


def format_money(minor: int, currency: str) -> str:
    """`1250, "EUR"` -> `"12.50"`: minor units as the major-unit amount people read."""
    exponent = _EXPONENTS.get(currency, 2)
    return str(Decimal(minor).scaleb(-exponent).quantize(Decimal(1).scaleb(-exponent)))


class _LotSensor(Entity):
    domain = "sensor"

    def __init__(self, lot: str, key: str, name: str) -> None:
        super().__init__()
        self.lot = lot
        self._attr_unique_id = f"{DOMAIN}_{lot}_{key}"
        self._attr_name = f"{lot} {name}"


class ActiveSessionsSensor(_LotSensor):
    """`sensor.<lot>_active_sessions`: cars inside by their plate reads."""

    _attr_icon = "mdi:car-multiple"

    def __init__(self, lot: str, manager: ParkingManager) -> None:
        super().__init__(lot, "active_sessions", "active sessions")
        self.manager = manager

    @property
    def state(self) -> int:
        return len(self.manager.open[self.lot])

    async def async_added_to_hub(self) -> None:
        def changed(lot: str) -> None:
            if lot == self.lot:
                self.async_write_state()

        self.manager.listeners.append(changed)
        self.async_on_remove(lambda: self.manager.listeners.remove(changed))


class RevenueTodaySensor(_LotSensor):
    """`sensor.<lot>_revenue_today`: fees of sessions that ended today (local)."""

    _attr_icon = "mdi:cash-register"
    _attr_device_class = "monetary"

    def __init__(self, lot: str, manager: ParkingManager) -> None:
        super().__init__(lot, "revenue_today", "revenue today")
        self.manager = manager
        self._attr_unit_of_measurement = manager.currency
        self.minor = 0
        self.paid = 0
        self._cancel_midnight: CALLBACK_TYPE | None = None

    @property
    def state(self) -> str:
        return format_money(self.minor, self.manager.currency)

    @property
    def extra_state_attributes(self) -> Mapping[str, Any]:
        return {"minor_units": self.minor, "paid_minor_units": self.paid}

    async def async_added_to_hub(self) -> None:
        def changed(lot: str) -> None:
            if lot == self.lot:
                self.hub.async_create_task(self.async_refresh(), f"revenue {self.lot}")

        self.manager.listeners.append(changed)
        self.async_on_remove(lambda: self.manager.listeners.remove(changed))
        self.async_on_remove(self._cancel_timer)
        await self._async_load()
        self._arm_midnight()

    async def async_refresh(self) -> None:
        await self._async_load()
        self.async_write_state()

    async def _async_load(self) -> None:
        self.minor, self.paid = await self.manager.store.async_revenue_since(
            self.lot, self._midnight(0).timestamp()
        )

    def _midnight(self, days: int) -> datetime:
        today = self.hub.scheduler.utcnow().astimezone(self.hub.time_zone).date()
        day = today + timedelta(days=days)
        return datetime.combine(day, time(0), self.hub.time_zone)

    def _arm_midnight(self) -> None:
        async def at_midnight(_now: Any) -> None:
            self._arm_midnight()
            await self.async_refresh()

        self._cancel_midnight = self.hub.scheduler.async_call_at(self._midnight(1), at_midnight)

    def _cancel_timer(self) -> None:
        if self._cancel_midnight is not None:
            self._cancel_midnight()


class ReservationsSensor(_LotSensor):
    """`sensor.<lot>_reservations`: reservations holding a space now or later."""

    _attr_icon = "mdi:calendar-clock"

    def __init__(self, lot: str, book: ReservationBook) -> None:
        super().__init__(lot, "reservations", "reservations")
        self.book = book

    @property
    def state(self) -> int:
        return sum(reservation.lot == self.lot for reservation in self.book.live.values())

    @property
    def extra_state_attributes(self) -> Mapping[str, Any]:
        slots, count_any = self.book.reserved_now(self.lot)
        return {"reserved_slots": slots, "reserved_any": count_any}

    async def async_added_to_hub(self) -> None:
        def changed(lot: str) -> None:
            if lot == self.lot:
                self.async_write_state()

        self.book.listeners.append(changed)
        self.async_on_remove(lambda: self.book.listeners.remove(changed))
