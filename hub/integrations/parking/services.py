"""The attendant's services: start, end, pay, extend; and reservations.

Each returns the record it touched (a session or a reservation as the REST API shows
it), so a WebSocket caller sees the fee or the reservation id at once. Mistakes are
ServiceValidationError naming the field: an unknown plate, an unknown lot, a clash.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import voluptuous as vol

from hub import validation as cv
from hub.core.bus import CALLBACK_TYPE
from hub.core.exceptions import ServiceValidationError
from hub.core.services import ServiceCall

from .config import LotConfig
from .const import (
    DOMAIN,
    EVENT_ANOMALY_ACKNOWLEDGED,
    PAYMENT_METHODS,
    SERVICE_ACKNOWLEDGE_ANOMALY,
    SERVICE_CANCEL_RESERVATION,
    SERVICE_CORRECT_PLATE,
    SERVICE_END_SESSION,
    SERVICE_EXTEND,
    SERVICE_PAY,
    SERVICE_RESERVE,
    SERVICE_START_SESSION,
)
from .durable import committed
from .models import Session

if TYPE_CHECKING:
    from hub.core.hub import Hub

    from .manager import ParkingManager
    from .reservations import ReservationBook

__all__ = ["async_register_services", "resolve_lot"]


# At most 16 letters and digits, normalised (`ka-01 ab 1234` -> `KA01AB1234`).
_plate = cv.plate
# ISO 8601 (`2026-11-22T18:00`, with or without an offset; none: the hub's zone), 1970..9999.
_datetime = cv.date_time


def _one_of(*keys: str) -> Any:
    def check(data: dict[str, Any]) -> dict[str, Any]:
        if not any(key in data for key in keys):
            raise vol.Invalid(f"one of {', '.join(keys)} is required")
        return data

    return check


_WHICH: dict[Any, Any] = {
    vol.Optional("session_id"): cv.string,
    vol.Optional("plate"): _plate,
    vol.Optional("lot"): cv.slug,
}
START_SCHEMA = vol.Schema(
    {
        vol.Required("plate"): _plate,
        vol.Optional("lot"): cv.slug,
        vol.Optional("list"): cv.string,
    }
)
END_SCHEMA = vol.All(vol.Schema(_WHICH), _one_of("session_id", "plate"))
PAY_SCHEMA = vol.All(
    vol.Schema(
        {
            **_WHICH,
            # Minor units; default: what is still owed (of the fee so far, for a car inside).
            vol.Optional("amount"): cv.money,
            vol.Required("method"): vol.In(PAYMENT_METHODS),
            # Mark paid or unpaid outright (default: paid when the amounts cover the fee).
            vol.Optional("paid"): cv.boolean,
        }
    ),
    _one_of("session_id", "plate"),
)
EXTEND_SCHEMA = vol.All(
    vol.Schema({**_WHICH, vol.Required("duration"): cv.positive_time_period}),
    _one_of("session_id", "plate"),
)
RESERVE_SCHEMA = vol.All(
    vol.Schema(
        {
            vol.Required("plate"): _plate,
            vol.Optional("lot"): cv.slug,
            # One space (its slot id in occupancy); none: any space of the lot.
            vol.Optional("slot"): vol.All(vol.Coerce(str), cv.slug),
            vol.Optional("start"): _datetime,  # default: now
            vol.Optional("end"): _datetime,
            vol.Optional("duration"): cv.positive_time_period,
            # Residents reserve too: a note is a line, not a file's worth of parking.db.
            vol.Optional("note"): vol.All(cv.string, vol.Length(max=500)),
        }
    ),
    _one_of("end", "duration"),
)
CANCEL_SCHEMA = vol.Schema({vol.Required("reservation_id"): cv.string})
CORRECT_SCHEMA = vol.Schema({vol.Required("session_id"): cv.string, vol.Required("plate"): _plate})
ACKNOWLEDGE_SCHEMA = vol.Schema(
    {
        vol.Required("anomaly_id"): vol.All(cv.string, vol.Length(min=1, max=64)),
        vol.Optional("note"): vol.All(cv.string, vol.Length(max=500)),
    }
)


def resolve_lot(manager: ParkingManager, lot_id: str | None) -> LotConfig:
    """The lot asked for, or the only one."""
    lots = manager.config.lots
    if lot_id is None:
        if len(lots) == 1:
            return next(iter(lots.values()))
        raise ServiceValidationError(f"lot: required, one of {', '.join(lots)}")
    if lot_id not in lots:
        raise ServiceValidationError(
            f"lot: unknown lot {lot_id!r}, expected one of {', '.join(lots)}"
        )
    return lots[lot_id]


def async_register_services(
    hub: Hub, manager: ParkingManager, book: ReservationBook
) -> list[CALLBACK_TYPE]:
    currency = manager.currency

    def open_session(data: dict[str, Any]) -> Session:
        if "session_id" in data:
            session = manager.by_id(data["session_id"])
            if session is None:
                raise ServiceValidationError(f"session_id: no open session {data['session_id']}")
            return session
        lot = resolve_lot(manager, data["lot"]) if "lot" in data else None
        session = manager.find(lot.id if lot else None, data["plate"])
        if session is None:
            raise ServiceValidationError(f"plate: {data['plate']} has no open session")
        return session

    def start(call: ServiceCall) -> dict[str, Any]:
        lot = resolve_lot(manager, call.data.get("lot"))
        plate = call.data["plate"]
        if plate in manager.open[lot.id]:
            raise ServiceValidationError(f"plate: {plate} is already inside lot {lot.id}")
        session = manager.async_start(lot, plate, call.context, call.data.get("list"))
        return session.as_dict(currency)

    def end(call: ServiceCall) -> dict[str, Any]:
        session = open_session(dict(call.data))
        return manager.async_end(session, call.context, reason="manual").as_dict(currency)

    async def pay(call: ServiceCall) -> dict[str, Any]:
        data = dict(call.data)
        session: Session | None
        if "session_id" in data:
            session = manager.by_id(data["session_id"])
            if session is None:
                session = await manager.store.async_session(data["session_id"])
            if session is None:
                raise ServiceValidationError(f"session_id: no session {data['session_id']}")
        else:
            lot = resolve_lot(manager, data["lot"]) if "lot" in data else None
            session = manager.find(lot.id if lot else None, data["plate"])
            if session is None:
                found = await manager.store.async_sessions(
                    lot.id if lot else None, data["plate"], None, 1
                )
                session = found[0] if found else None
            if session is None:
                raise ServiceValidationError(f"plate: no session for {data['plate']}")
        manager.async_pay(session, data.get("amount"), data["method"], data.get("paid"))
        return session.as_dict(currency)

    def extend(call: ServiceCall) -> dict[str, Any]:
        session = open_session(dict(call.data))
        manager.async_extend(session, call.data["duration"])
        return session.as_dict(currency)

    def reserve(call: ServiceCall) -> dict[str, Any]:
        data = call.data
        lot = resolve_lot(manager, data.get("lot"))
        zone = hub.time_zone

        def aware(moment: datetime) -> datetime:
            return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)

        start_at = aware(data["start"]) if "start" in data else hub.scheduler.utcnow()
        try:
            end_at = aware(data["end"]) if "end" in data else start_at + data["duration"]
            window = (start_at.astimezone(UTC).timestamp(), end_at.astimezone(UTC).timestamp())
        except (OverflowError, ValueError):
            raise ServiceValidationError(
                "duration: the reservation would end past the end of the calendar"
            ) from None
        reservation = book.async_reserve(
            lot, data["plate"], *window, data.get("slot"), data.get("note")
        )
        return reservation.as_dict()

    def cancel(call: ServiceCall) -> dict[str, Any]:
        return book.async_cancel(call.data["reservation_id"]).as_dict()

    def correct(call: ServiceCall) -> dict[str, Any]:
        """A misread: the car inside gets its right plate (the panel's "fix misread")."""
        session = open_session({"session_id": call.data["session_id"]})
        manager.async_correct_plate(session, call.data["plate"])
        return session.as_dict(currency)

    async def acknowledge(call: ServiceCall) -> dict[str, Any]:
        """Mark an anomaly seen: an event the recorder keeps, carrying who did it. Its
        batch is written before the answer (like every parking answer: committed)."""
        data = {"anomaly_id": call.data["anomaly_id"], "note": call.data.get("note")}
        hub.bus.async_fire(EVENT_ANOMALY_ACKNOWLEDGED, data, context=call.context)
        if hub.recorder is not None:
            await hub.recorder.async_flush()
        return data

    # Every write service answers only once its change is committed (durable.py).
    table: list[tuple[str, Any, Any, str]] = [
        (SERVICE_START_SESSION, start, START_SCHEMA, "Start a session by hand"),
        (SERVICE_END_SESSION, end, END_SCHEMA, "End a session by hand, with its fee"),
        (SERVICE_PAY, pay, PAY_SCHEMA, "Record a payment (cash, card, online)"),
        (SERVICE_EXTEND, extend, EXTEND_SCHEMA, "Allow a session more time"),
        (SERVICE_RESERVE, reserve, RESERVE_SCHEMA, "Reserve a space or a lot for a window"),
        (SERVICE_CANCEL_RESERVATION, cancel, CANCEL_SCHEMA, "Cancel a reservation"),
        (SERVICE_CORRECT_PLATE, correct, CORRECT_SCHEMA, "Fix a misread plate of a car inside"),
        (
            SERVICE_ACKNOWLEDGE_ANOMALY,
            acknowledge,
            ACKNOWLEDGE_SCHEMA,
            "Mark an anomaly as seen (its id is the anomaly event's context id)",
        ),
    ]
    return [
        hub.services.async_register(DOMAIN, name, committed(handler), schema, description=text)
        for name, handler, schema, text in table
    ]
