"""The lot's entities: one binary sensor per slot and the free-spaces counter."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from hub.core.const import STATE_OFF, STATE_ON
from hub.entity import Entity

from .const import (
    ATTR_CONFIDENCE,
    ATTR_GROUP,
    ATTR_OCCUPIED,
    ATTR_PLATE,
    ATTR_RESERVED,
    ATTR_SINCE,
    ATTR_TOTAL,
    DOMAIN,
)
from .slots import Slot
from .tracker import SlotSmoother

__all__ = ["FreeSpacesSensor", "Reservations", "SlotSensor"]


@dataclass(slots=True)
class Reservations:
    """What parking says is reserved right now (`parking_reservations_changed`): these
    slots, and `count_any` spaces held by "any space" reservations whose car is not in."""

    slots: frozenset[str] = frozenset()
    count_any: int = 0


def _iso(timestamp: float | None) -> str | None:
    return None if timestamp is None else datetime.fromtimestamp(timestamp, UTC).isoformat()


class SlotSensor(Entity):
    """`binary_sensor.<lot>_slot_<id>`: on = occupied."""

    domain = "binary_sensor"
    _attr_device_class = "occupancy"

    def __init__(
        self, lot: str, slot: Slot, smoother: SlotSmoother, reservations: Reservations
    ) -> None:
        super().__init__()
        self.slot = slot
        self.smoother = smoother
        self.reservations = reservations
        self._attr_unique_id = f"{DOMAIN}_{lot}_slot_{slot.id}"
        self._attr_name = f"{lot} slot {slot.id}"

    @property
    def state(self) -> str | None:
        if self.smoother.occupied is None:
            return None
        return STATE_ON if self.smoother.occupied else STATE_OFF

    @property
    def extra_state_attributes(self) -> Mapping[str, Any]:
        attributes: dict[str, Any] = {
            ATTR_CONFIDENCE: round(self.smoother.confidence, 3),
            ATTR_SINCE: _iso(self.smoother.since),
            ATTR_PLATE: None,
            ATTR_RESERVED: self.slot.reserved or self.slot.id in self.reservations.slots,
        }
        if self.slot.group:
            attributes[ATTR_GROUP] = self.slot.group
        return attributes


class FreeSpacesSensor(Entity):
    """`sensor.<lot>_free_spaces`: slots known to be free and not reserved."""

    domain = "sensor"
    _attr_icon = "mdi:parking"

    def __init__(
        self,
        lot: str,
        slots: Sequence[Slot],
        smoothers: Sequence[SlotSmoother],
        reservations: Reservations,
    ) -> None:
        super().__init__()
        self.slots = slots
        self.smoothers = smoothers
        self.reservations = reservations
        self._attr_unique_id = f"{DOMAIN}_{lot}_free_spaces"
        self._attr_name = f"{lot} free spaces"

    def _free(self) -> list[Slot]:
        return [
            slot
            for slot, smoother in zip(self.slots, self.smoothers, strict=True)
            if smoother.occupied is False and not self._reserved(slot)
        ]

    def _reserved(self, slot: Slot) -> bool:
        return slot.reserved or slot.id in self.reservations.slots

    @property
    def state(self) -> int | None:
        if any(smoother.occupied is None for smoother in self.smoothers):
            return None  # not every slot has been seen yet
        # "Any space" reservations hold spaces too, though not a named one.
        return max(0, len(self._free()) - self.reservations.count_any)

    @property
    def extra_state_attributes(self) -> Mapping[str, Any]:
        attributes: dict[str, Any] = {
            ATTR_TOTAL: len(self.slots),
            ATTR_OCCUPIED: sum(smoother.occupied is True for smoother in self.smoothers),
            ATTR_RESERVED: sum(self._reserved(slot) for slot in self.slots)
            + self.reservations.count_any,
        }
        if any(slot.group for slot in self.slots):
            free = Counter(slot.group or "other" for slot in self._free())
            attributes["free_by_group"] = dict(sorted(free.items()))
        return attributes
