"""Reservations: a plate holds one space (`slot`) or any space of a lot for a window.

Refused with a reason naming the clash: the same space already reserved in an
overlapping window, or more overlapping reservations than the lot has spaces. A booked
reservation whose car has not come in by `start + reservation_grace` expires
(`parking_reservation_expired`). What is reserved right now is announced to occupancy
as `parking_reservations_changed {lot, slots, count_any}` (at start-up, on every change,
and when a window opens or closes): occupancy marks those slots `reserved` and leaves
them, and `count_any` spaces, out of its free count.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from hub.core.bus import CALLBACK_TYPE
from hub.core.context import Context, new_id
from hub.core.exceptions import ServiceValidationError

from .config import LotConfig, ParkingConfig
from .const import (
    EVENT_RESERVATION_EXPIRED,
    EVENT_RESERVATIONS_CHANGED,
    RES_BOOKED,
    RES_CANCELLED,
    RES_EXPIRED,
    RES_USED,
)
from .durable import report_write
from .models import Reservation, iso

if TYPE_CHECKING:
    from hub.core.hub import Hub

    from .store import ParkingStore

__all__ = ["ReservationBook"]

_LOGGER = logging.getLogger(__name__)


def _at(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, UTC)


def _window(start: float, end: float) -> str:
    return f"{iso(start)} to {iso(end)}"


class ReservationBook:
    """Live reservations (booked or used, window not over) by id, and their timers."""

    def __init__(self, hub: Hub, config: ParkingConfig, store: ParkingStore) -> None:
        self.hub = hub
        self.config = config
        self.store = store
        self.live: dict[str, Reservation] = {}
        self._timers: dict[str, list[CALLBACK_TYPE]] = {}
        self.listeners: list[Callable[[str], None]] = []

    async def async_load(self) -> None:
        now = self.hub.scheduler.timestamp()
        for reservation in await self.store.async_live_reservations():
            if reservation.lot not in self.config.lots or reservation.end <= now:
                continue  # over while the hub was down: nothing holds a space any more
            self.live[reservation.id] = reservation
            self._arm(reservation)

    def async_stop(self) -> None:
        for cancels in self._timers.values():
            for cancel in cancels:
                cancel()
        self._timers.clear()

    # -- booking --------------------------------------------------------------------------

    def async_reserve(
        self,
        lot: LotConfig,
        plate: str,
        start: float,
        end: float,
        slot: str | None = None,
        note: str | None = None,
    ) -> Reservation:
        """Book, or raise ServiceValidationError saying what clashes."""
        now = self.hub.scheduler.timestamp()
        if end <= start:
            raise ServiceValidationError("end: must be after start")
        if end <= now:
            raise ServiceValidationError(f"end: {iso(end)} is in the past")
        overlapping = [
            other
            for other in self.live.values()
            if other.lot == lot.id and other.holds_space() and other.overlaps(start, end)
        ]
        for other in overlapping:
            if other.plate == plate:
                raise ServiceValidationError(
                    f"plate: {plate} already has reservation {other.id} in lot {lot.id} "
                    f"from {_window(other.start, other.end)}"
                )
        if slot is not None:
            self._check_slot(lot, slot)
            for other in overlapping:
                if other.slot == slot:
                    # Not whose: residents reserve too, and another's plate is not theirs
                    # to read (staff find it in GET /api/parking/reservations).
                    raise ServiceValidationError(
                        f"slot: space {slot} in lot {lot.id} is already reserved "
                        f"from {_window(other.start, other.end)}"
                    )
        capacity = self._capacity(lot)
        if capacity is not None and len(overlapping) + 1 > capacity:
            raise ServiceValidationError(
                f"lot: {lot.id} has {capacity} spaces and {len(overlapping)} reservations "
                f"already overlap {_window(start, end)}"
            )
        reservation = Reservation(
            id=new_id(),
            lot=lot.id,
            plate=plate,
            start=start,
            end=end,
            slot=slot,
            note=note,
            created=now,
        )
        self.live[reservation.id] = reservation
        self._arm(reservation)
        self._save(reservation)
        self.async_announce(lot)
        return reservation

    def async_cancel(self, reservation_id: str) -> Reservation:
        reservation = self.live.get(reservation_id)
        if reservation is None:
            raise ServiceValidationError(
                f"reservation_id: no live reservation {reservation_id} (unknown, over, "
                "expired or cancelled)"
            )
        reservation.status = RES_CANCELLED
        self._drop(reservation)
        return reservation

    def async_use(self, lot: LotConfig, plate: str, now: float) -> Reservation | None:
        """The plate came in: its booked reservation in this lot (if its window allows) is used."""
        for reservation in self.live.values():
            if (
                reservation.lot == lot.id
                and reservation.plate == plate
                and reservation.status == RES_BOOKED
                and reservation.start - lot.reservation_grace.total_seconds() <= now
                and now < reservation.end
            ):
                reservation.status = RES_USED
                self._save(reservation)
                self.async_announce(lot)
                return reservation
        return None

    # -- what occupancy shows -------------------------------------------------------------

    def reserved_now(self, lot_id: str) -> tuple[list[str], int]:
        """Slots reserved at this moment, and spaces held by "any space" reservations whose
        car has not come yet (a car that came in takes a real space, counted as occupied)."""
        now = self.hub.scheduler.timestamp()
        slots: set[str] = set()
        count_any = 0
        for reservation in self.live.values():
            if reservation.lot != lot_id or not reservation.covers(now):
                continue
            if reservation.slot is not None:
                slots.add(reservation.slot)
            elif reservation.status == RES_BOOKED:
                count_any += 1
        return sorted(slots), count_any

    def async_announce(self, lot: LotConfig) -> None:
        slots, count_any = self.reserved_now(lot.id)
        self.hub.bus.async_fire(
            EVENT_RESERVATIONS_CHANGED,
            {
                "lot": lot.occupancy_lot,
                "parking_lot": lot.id,
                "slots": slots,
                "count_any": count_any,
            },
        )
        for listener in self.listeners:
            listener(lot.id)

    # -- timers ---------------------------------------------------------------------------

    def _arm(self, reservation: Reservation) -> None:
        lot = self.config.lots[reservation.lot]
        scheduler = self.hub.scheduler
        cancels = self._timers.setdefault(reservation.id, [])
        if reservation.start > scheduler.timestamp():
            cancels.append(
                scheduler.async_call_at(
                    _at(reservation.start), lambda now: self.async_announce(lot)
                )
            )
        if reservation.status == RES_BOOKED:
            # From its start, or from its booking if it was booked after it started.
            since = max(reservation.start, reservation.created)
            due = since + lot.reservation_grace.total_seconds()
            cancels.append(scheduler.async_call_at(_at(due), lambda now: self._expire(reservation)))
        cancels.append(
            scheduler.async_call_at(_at(reservation.end), lambda now: self._over(reservation))
        )

    def _expire(self, reservation: Reservation) -> None:
        if reservation.status != RES_BOOKED:
            return
        reservation.status = RES_EXPIRED
        self.hub.bus.async_fire(
            EVENT_RESERVATION_EXPIRED,
            reservation.as_dict(),
            context=Context(),
        )
        self._drop(reservation)

    def _over(self, reservation: Reservation) -> None:
        """The window closed: it holds nothing any more (its status stays booked or used)."""
        self._drop(reservation, save=False)

    def _drop(self, reservation: Reservation, save: bool = True) -> None:
        self.live.pop(reservation.id, None)
        for cancel in self._timers.pop(reservation.id, []):
            cancel()
        if save:
            self._save(reservation)
        self.async_announce(self.config.lots[reservation.lot])

    def _save(self, reservation: Reservation) -> None:
        task = self.hub.async_create_task(
            self.store.async_save_reservation(reservation.row()), f"reservation {reservation.id}"
        )
        self.hub.async_track_write(task)
        report_write(task)

    def _check_slot(self, lot: LotConfig, slot: str) -> None:
        """A lot watched by occupancy knows its spaces: refuse one it does not have."""
        if self.hub.states.get(lot.free_spaces_entity) is None:
            return
        if self.hub.states.get(f"binary_sensor.{lot.occupancy_lot}_slot_{slot}") is None:
            raise ServiceValidationError(f"slot: lot {lot.id} has no space {slot}")

    def _capacity(self, lot: LotConfig) -> int | None:
        if lot.capacity is not None:
            return lot.capacity
        state = self.hub.states.get(lot.free_spaces_entity)
        total = state.attributes.get("total") if state is not None else None
        return total if isinstance(total, int) else None
