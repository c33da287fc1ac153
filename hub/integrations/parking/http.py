"""REST: the lot's sessions and reservations, for the panel and for reports.

    GET /api/parking/sessions?active=1&plate=KA01AB1234&lot=demo&limit=100
    GET /api/parking/sessions/{session_id}
    GET /api/parking/reservations?active=1&plate=...&lot=...&limit=100
    GET /api/parking/sessions.csv?...      the same filters, as CSV (panel export)
    GET /api/parking/anomalies?days=7      anomaly events, each with its acknowledgement

Sessions also filter by `from` / `to` (entry date or time, the hub's zone) and `status`
(open, closed, paid, unpaid); an open session carries `fee_so_far`.

Bad query values are a 400 `{"error": "<field>: ..."}`; an unknown session a 404. Plates
are personal data: resident tokens get a 403 (tokens do not name a resident's vehicles
yet, so "only their own sessions" cannot be told apart).
"""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Any

import voluptuous as vol
from aiohttp import web

from hub.core.exceptions import ServiceValidationError, Unauthorized
from hub.plates import normalize_plate
from hub.web.helpers import (
    AUTH_KEY,
    async_register_route,
    json_error,
    json_response,
    user_names,
    validate,
)

from .const import EVENT_ANOMALY, EVENT_ANOMALY_ACKNOWLEDGED
from .export import ANOMALY_QUERY, anomaly_list, sessions_csv_bytes

if TYPE_CHECKING:
    from hub.core.hub import Hub

    from .manager import ParkingManager

__all__ = ["async_register_http"]

MAX_LIMIT = 1000


def _flag(value: Any) -> bool:
    text = str(value).lower()
    if text in ("1", "true", "yes"):
        return True
    if text in ("0", "false", "no"):
        return False
    raise vol.Invalid(f"expected 1 or 0 (true or false), got {value!r}")


def _plate(value: Any) -> str:
    plate = normalize_plate(value)
    if not plate:
        raise vol.Invalid("expected a plate with letters or digits")
    return plate


STATUSES = ("open", "closed", "paid", "unpaid")


def _moment(value: Any) -> str:
    """A date (`2026-12-07`) or an ISO 8601 time; parsed against the hub's zone later."""
    text = str(value).strip()
    try:
        datetime.fromisoformat(text)
    except ValueError:
        raise vol.Invalid(f"expected a date like 2026-12-07, got {value!r}") from None
    return text


def _timestamp(text: str, zone: tzinfo, *, end: bool) -> float:
    moment = datetime.fromisoformat(text)
    if len(text) <= 10 and end:  # a bare date `to` means through the end of that day
        moment += timedelta(days=1)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.timestamp()


QUERY_SCHEMA = vol.Schema(
    {
        vol.Optional("active"): _flag,
        vol.Optional("from"): _moment,
        vol.Optional("to"): _moment,
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

    def staff_only(request: web.Request) -> None:
        if request[AUTH_KEY].role == "resident":
            raise Unauthorized("parking sessions and reservations are for admins and operators")

    def query(request: web.Request) -> dict[str, Any]:
        staff_only(request)
        data: dict[str, Any] = validate(QUERY_SCHEMA, dict(request.query), "query")
        lot = data.get("lot")
        if lot is not None and lot not in manager.config.lots:
            raise ServiceValidationError(f"invalid query: lot: unknown lot {lot!r}")
        return data

    async def find_sessions(request: web.Request) -> list[dict[str, Any]]:
        data = query(request)
        status, zone = data.get("status"), hub.time_zone
        active = data.get("active")
        if status in ("open", "closed"):
            active = status == "open"
        found = await manager.store.async_sessions(
            data.get("lot"),
            data.get("plate"),
            active,
            data["limit"],
            entered_from=_timestamp(data["from"], zone, end=False) if "from" in data else None,
            entered_before=_timestamp(data["to"], zone, end=True) if "to" in data else None,
            paid={"paid": True, "unpaid": False}.get(status or ""),
        )
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

    async def sessions(request: web.Request) -> web.Response:
        return json_response({"sessions": await find_sessions(request)})

    async def sessions_csv(request: web.Request) -> web.Response:
        rows = await find_sessions(request)
        return web.Response(
            body=sessions_csv_bytes(rows),
            content_type="text/csv",
            charset="utf-8",
            headers={"Content-Disposition": 'attachment; filename="sessions.csv"'},
        )

    async def anomalies(request: web.Request) -> web.Response:
        staff_only(request)
        days = validate(ANOMALY_QUERY, dict(request.query), "query")["days"]
        recorder = hub.recorder
        if recorder is None:
            return json_error(503, "the recorder is not running")
        start = hub.scheduler.utcnow() - timedelta(days=days)
        events = await recorder.async_events([EVENT_ANOMALY, EVENT_ANOMALY_ACKNOWLEDGED], start)
        return json_response({"anomalies": anomaly_list(events, user_names(request))})

    async def session(request: web.Request) -> web.Response:
        staff_only(request)
        session_id = request.match_info["session_id"]
        found = manager.by_id(session_id) or await manager.store.async_session(session_id)
        if found is None:
            return json_error(404, f"session_id: no session {session_id}")
        return json_response(found.as_dict(currency))

    async def reservations(request: web.Request) -> web.Response:
        data = query(request)
        if data.get("active"):
            now = hub.scheduler.timestamp()
            found = [
                reservation
                for reservation in manager.reservations.live.values()
                if reservation.end > now
                and data.get("lot") in (None, reservation.lot)
                and data.get("plate") in (None, reservation.plate)
            ][: data["limit"]]
        else:
            found = await manager.store.async_reservations(
                data.get("lot"), data.get("plate"), None, data["limit"]
            )
        return json_response({"reservations": [item.as_dict() for item in found]})

    async_register_route(hub, "GET", "/api/parking/sessions", sessions)
    async_register_route(hub, "GET", "/api/parking/sessions.csv", sessions_csv)
    async_register_route(hub, "GET", "/api/parking/anomalies", anomalies)
    async_register_route(hub, "GET", "/api/parking/sessions/{session_id}", session)
    async_register_route(hub, "GET", "/api/parking/reservations", reservations)
