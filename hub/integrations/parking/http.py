"""REST: the lot's sessions and reservations, for the panel and for reports.

    GET /api/parking/sessions?active=1&plate=KA01AB1234&lot=demo&limit=100
    GET /api/parking/sessions/{session_id}
    GET /api/parking/reservations?active=1&plate=...&lot=...&limit=100
    GET /api/parking/sessions.csv?...      the same filters, as CSV (panel export)
    GET /api/parking/anomalies?days=7      anomaly events, each with its acknowledgement

Sessions also filter by `from` / `to` (entry date or time, the hub's zone) and `status`
(open, closed, paid, unpaid); an open session carries `fee_so_far`.

Bad query values are a 400 `{"error": "<field>: ..."}`; an unknown session a 404. Plates
are personal data: a resident sees only their own vehicles' sessions (with fees and
payments) and reservations, and another plate is a 403. Residents may also reserve and
cancel for their own vehicles: the owner checks registered here tell the web policy so.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Any

import voluptuous as vol
from aiohttp import web

from hub import validation as cv
from hub.core.exceptions import ServiceValidationError, Unauthorized
from hub.plates import normalize_plate
from hub.web.access import ACCESS_KEY
from hub.web.api_doc import api_doc
from hub.web.helpers import (
    AUTH_KEY,
    async_register_route,
    json_error,
    json_response,
    user_names,
    validate,
)
from hub.web.users import User

from .const import EVENT_ANOMALY, EVENT_ANOMALY_ACKNOWLEDGED
from .export import ANOMALY_QUERY, anomaly_list, sessions_csv_bytes

if TYPE_CHECKING:
    from hub.core.hub import Hub

    from .manager import ParkingManager

__all__ = ["async_register_http", "query_moment", "query_timestamp"]

MAX_LIMIT = 1000


def _flag(value: Any) -> bool:
    text = str(value).lower()
    if text in ("1", "true", "yes"):
        return True
    if text in ("0", "false", "no"):
        return False
    raise vol.Invalid(f"expected 1 or 0 (true or false), got {value!r}")


_plate = cv.plate


STATUSES = ("open", "closed", "paid", "unpaid")


def query_moment(value: Any) -> str:
    """A date (`2026-12-07`) or an ISO 8601 time, 1970 to 9999 (the shared date check, so
    a `to` date's extra day still fits the calendar); parsed against the hub's zone later."""
    text = str(value).strip()
    try:
        datetime.fromisoformat(text)
    except ValueError:
        raise vol.Invalid(f"expected a date like 2026-12-07, got {value!r}") from None
    cv.date_time(text)
    return text


def query_timestamp(text: str, zone: tzinfo, *, end: bool) -> float:
    moment = datetime.fromisoformat(text)
    if len(text) <= 10 and end:  # a bare date `to` means through the end of that day
        moment += timedelta(days=1)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.timestamp()


QUERY_SCHEMA = vol.Schema(
    {
        vol.Optional("active"): _flag,
        vol.Optional("from"): query_moment,
        vol.Optional("to"): query_moment,
        vol.Optional("status"): vol.In(STATUSES, msg=f"expected one of {', '.join(STATUSES)}"),
        vol.Optional("plate"): _plate,
        vol.Optional("lot"): str,
        vol.Optional("limit", default=100): vol.All(
            vol.Coerce(int, msg="expected a whole number"), vol.Range(min=1, max=MAX_LIMIT)
        ),
    }
)


def async_register_http(hub: Hub, manager: ParkingManager) -> None:
    currency = manager.currency

    def own_plates(request: web.Request) -> tuple[str, ...] | None:
        """A resident's vehicles; None for staff, who see every plate."""
        access, principal = request.app[ACCESS_KEY], request[AUTH_KEY]
        return access.vehicles(principal) if access.restricted(principal) else None

    def query(request: web.Request) -> tuple[dict[str, Any], list[str | None]]:
        """The query, and the plates to look up (None: any plate, for staff)."""
        data: dict[str, Any] = validate(QUERY_SCHEMA, dict(request.query), "query")
        lot = data.get("lot")
        if lot is not None and lot not in manager.config.lots:
            raise ServiceValidationError(f"invalid query: lot: unknown lot {lot!r}")
        own = own_plates(request)
        plate = data.get("plate")
        if own is None:
            return data, [plate]
        if plate is not None and plate not in own:
            raise Unauthorized("plate: residents see only their own vehicles")
        return data, [plate] if plate is not None else list(own)

    async def find_sessions(request: web.Request) -> list[dict[str, Any]]:
        """The sessions the query asks for (a resident: of their own vehicles only)."""
        data, plates = query(request)
        status, zone = data.get("status"), hub.time_zone
        active = data.get("active")
        if status in ("open", "closed"):
            active = status == "open"
        found = []
        for plate in plates:
            found += await manager.store.async_sessions(
                data.get("lot"),
                plate,
                active,
                data["limit"],
                entered_from=query_timestamp(data["from"], zone, end=False)
                if "from" in data
                else None,
                entered_before=query_timestamp(data["to"], zone, end=True)
                if "to" in data
                else None,
                paid={"paid": True, "unpaid": False}.get(status or ""),
            )
        if len(plates) > 1:
            found.sort(key=lambda session: session.entry_time, reverse=True)
        found = found[: data["limit"]]
        now = hub.scheduler.timestamp()
        rows = []
        for stored in found:
            # The live object when the car is inside: the store's copy may lag a write.
            session = manager.by_id(stored.id) or stored
            row = session.as_dict(currency)
            if session.is_open:
                row["fee_so_far"] = manager.fee(session, now)
            rows.append(row)
        return rows

    @api_doc(
        "Parking sessions, newest first (a resident: their own vehicles')",
        tag="parking",
        query=QUERY_SCHEMA,
        response={"type": "object"},
        errors=(400, 403),
    )
    async def sessions(request: web.Request) -> web.Response:
        return json_response({"sessions": await find_sessions(request)})

    @api_doc(
        "The sessions the query finds, as CSV",
        tag="parking",
        query=QUERY_SCHEMA,
        response={"type": "string"},
        content_type="text/csv",
        errors=(400, 403),
    )
    async def sessions_csv(request: web.Request) -> web.Response:
        rows = await find_sessions(request)
        return web.Response(
            body=sessions_csv_bytes(rows),
            content_type="text/csv",
            charset="utf-8",
            headers={"Content-Disposition": 'attachment; filename="sessions.csv"'},
        )

    @api_doc(
        "Anomalies of the last days, with who acknowledged them",
        tag="parking",
        query=ANOMALY_QUERY,
        response={"type": "object"},
        errors=(400, 503),
    )
    async def anomalies(request: web.Request) -> web.Response:  # operators (policy.py)
        days = validate(ANOMALY_QUERY, dict(request.query), "query")["days"]
        recorder = hub.recorder
        if recorder is None:
            return json_error(503, "the recorder is not running")
        start = hub.scheduler.utcnow() - timedelta(days=days)
        events = await recorder.async_events([EVENT_ANOMALY, EVENT_ANOMALY_ACKNOWLEDGED], start)
        return json_response({"anomalies": anomaly_list(events, user_names(request))})

    @api_doc("One parking session", tag="parking", response={"type": "object"}, errors=(403, 404))
    async def session(request: web.Request) -> web.Response:
        session_id = request.match_info["session_id"]
        found = manager.by_id(session_id) or await manager.store.async_session(session_id)
        own = own_plates(request)
        if found is None or (own is not None and found.plate not in own):
            return json_error(404, f"session_id: no session {session_id}")
        return json_response(found.as_dict(currency))

    @api_doc(
        "Reservations (admins and operators)",
        tag="parking",
        query=QUERY_SCHEMA,
        response={"type": "object"},
        errors=(400, 403),
    )
    async def reservations(request: web.Request) -> web.Response:
        data, plates = query(request)
        found = []
        for plate in plates:
            if data.get("active"):
                now = hub.scheduler.timestamp()
                found += [
                    reservation
                    for reservation in manager.reservations.live.values()
                    if reservation.end > now
                    and data.get("lot") in (None, reservation.lot)
                    and plate in (None, reservation.plate)
                ]
            else:
                found += await manager.store.async_reservations(
                    data.get("lot"), plate, None, data["limit"]
                )
        found = found[: data["limit"]]
        return json_response({"reservations": [item.as_dict() for item in found]})

    async_register_route(hub, "GET", "/api/parking/sessions", sessions)
    async_register_route(hub, "GET", "/api/parking/sessions.csv", sessions_csv)
    async_register_route(hub, "GET", "/api/parking/anomalies", anomalies)
    async_register_route(hub, "GET", "/api/parking/sessions/{session_id}", session)
    async_register_route(hub, "GET", "/api/parking/reservations", reservations)
    _register_owner_checks(hub, manager)


def _register_owner_checks(hub: Hub, manager: ParkingManager) -> None:
    """Residents reserve and cancel only for the vehicles their account lists."""
    if hub.http is None:
        return

    def reserve(_hub: Hub, user: User, data: Mapping[str, Any]) -> bool:
        return normalize_plate(data.get("plate")) in user.vehicles

    def cancel(_hub: Hub, user: User, data: Mapping[str, Any]) -> bool:
        reservation = manager.reservations.live.get(str(data.get("reservation_id")))
        return reservation is not None and reservation.plate in user.vehicles

    access = hub.http[ACCESS_KEY]
    access.async_register_owner_check("parking.reserve", reserve)
    access.async_register_owner_check("parking.cancel_reservation", cancel)
