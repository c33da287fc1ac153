"""REST: the lot's sessions and reservations, for the panel and for reports.

    GET /api/parking/sessions?active=1&plate=KA01AB1234&lot=demo&limit=100
    GET /api/parking/sessions/{session_id}
    GET /api/parking/reservations?active=1&plate=...&lot=...&limit=100

Bad query values are a 400 `{"error": "<field>: ..."}`; an unknown session a 404. Plates
are personal data: resident tokens get a 403 (tokens do not name a resident's vehicles
yet, so "only their own sessions" cannot be told apart).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import voluptuous as vol
from aiohttp import web

from hub.core.exceptions import ServiceValidationError, Unauthorized
from hub.plates import normalize_plate
from hub.web.api_doc import api_doc
from hub.web.helpers import AUTH_KEY, async_register_route, json_error, json_response, validate

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


QUERY_SCHEMA = vol.Schema(
    {
        vol.Optional("active"): _flag,
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

    @api_doc(
        "Parking sessions, newest first (admins and operators)",
        tag="parking",
        query=QUERY_SCHEMA,
        response={"type": "object"},
        errors=(400, 403),
    )
    async def sessions(request: web.Request) -> web.Response:
        data = query(request)
        found = await manager.store.async_sessions(
            data.get("lot"), data.get("plate"), data.get("active"), data["limit"]
        )
        return json_response({"sessions": [session.as_dict(currency) for session in found]})

    @api_doc("One parking session", tag="parking", response={"type": "object"}, errors=(403, 404))
    async def session(request: web.Request) -> web.Response:
        staff_only(request)
        session_id = request.match_info["session_id"]
        found = manager.by_id(session_id) or await manager.store.async_session(session_id)
        if found is None:
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
    async_register_route(hub, "GET", "/api/parking/sessions/{session_id}", session)
    async_register_route(hub, "GET", "/api/parking/reservations", reservations)
