"""Sessions and reservations: plain records, saved whole to `parking.db` on every change."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime
from typing import Any

from .const import RES_BOOKED, RES_USED, STATUS_OPEN

__all__ = ["Reservation", "Session", "iso"]


def iso(timestamp: float | None) -> str | None:
    return None if timestamp is None else datetime.fromtimestamp(timestamp, UTC).isoformat()


@dataclass(slots=True)
class Session:
    """One vehicle's stay in a lot. Times are UNIX timestamps (the hub clock's)."""

    id: str
    lot: str
    plate: str
    entry_time: float
    list: str | None = None
    listed: str = "none"
    entry_camera: str | None = None
    entry_snapshot: str | None = None
    status: str = STATUS_OPEN
    exit_time: float | None = None
    exit_camera: str | None = None
    exit_snapshot: str | None = None
    exit_plate: str | None = None  # the plate read at exit, when it was a near match
    end_reason: str | None = None  # exit, manual, near_match
    fee: int | None = None  # minor units, set at the end
    multiplier: float = 1.0  # occupancy surcharge decided at entry
    paid_amount: int = 0
    payment_method: str | None = None
    paid_at: float | None = None
    paid_flag: bool | None = None  # set by parking.pay (paid: true/false); None: by amount
    extended_s: float = 0.0
    overstay_fired: bool = False
    long_stay_fired: bool = False
    reservation_id: str | None = None
    context_id: str | None = None  # the entry read's (or the starting call's) context
    exit_context_id: str | None = None  # the exit read's (or the ending call's) context

    @property
    def is_open(self) -> bool:
        return self.status == STATUS_OPEN

    @property
    def duration_s(self) -> float | None:
        return None if self.exit_time is None else self.exit_time - self.entry_time

    @property
    def paid(self) -> bool:
        """Paid when marked so, or when what was paid covers the fee (free stays are paid)."""
        if self.paid_flag is not None:
            return self.paid_flag
        return self.fee is not None and self.paid_amount >= self.fee

    def as_dict(self, currency: str) -> dict[str, Any]:
        """The JSON shape of the REST API and the session events."""
        return {
            "id": self.id,
            "lot": self.lot,
            "plate": self.plate,
            "list": self.list,
            "listed": self.listed,
            "status": self.status,
            "entry_time": iso(self.entry_time),
            "entry_camera": self.entry_camera,
            "entry_snapshot": self.entry_snapshot,
            "exit_time": iso(self.exit_time),
            "exit_camera": self.exit_camera,
            "exit_snapshot": self.exit_snapshot,
            "exit_plate": self.exit_plate,
            "end_reason": self.end_reason,
            "duration_s": self.duration_s,
            "fee": self.fee,
            "currency": currency,
            "multiplier": self.multiplier,
            "paid": self.paid,
            "paid_amount": self.paid_amount,
            "payment_method": self.payment_method,
            "paid_at": iso(self.paid_at),
            "extended_s": self.extended_s,
            "overstay": self.overstay_fired,
            "reservation_id": self.reservation_id,
        }

    def row(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Session:
        names = {field.name for field in fields(cls)}
        values = {key: value for key, value in row.items() if key in names}
        for flag in ("overstay_fired", "long_stay_fired"):
            values[flag] = bool(values[flag])
        if values.get("paid_flag") is not None:
            values["paid_flag"] = bool(values["paid_flag"])
        return cls(**values)


@dataclass(slots=True)
class Reservation:
    """A space (`slot`) or any space (`slot` None) in a lot, for a plate, for a window."""

    id: str
    lot: str
    plate: str
    start: float
    end: float
    slot: str | None = None
    status: str = RES_BOOKED
    note: str | None = None
    created: float = 0.0

    def overlaps(self, start: float, end: float) -> bool:
        return self.start < end and start < self.end

    def holds_space(self) -> bool:
        """Still counts against the lot (a booked or used reservation)."""
        return self.status in (RES_BOOKED, RES_USED)

    def covers(self, now: float) -> bool:
        return self.start <= now < self.end

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "lot": self.lot,
            "plate": self.plate,
            "slot": self.slot,
            "start": iso(self.start),
            "end": iso(self.end),
            "status": self.status,
            "note": self.note,
            "created": iso(self.created),
        }

    def row(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Reservation:
        names = {field.name for field in fields(cls)}
        return cls(**{key: value for key, value in row.items() if key in names})
