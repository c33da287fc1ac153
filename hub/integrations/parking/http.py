"""REST: the lot's sessions and reservations, for the panel and for reports.

    GET /api/parking/sessions?active=1&plate=KA01AB1234&lot=demo&limit=100
    GET /api/parking/sessions/{session_id}
    GET /api/parking/reservations?active=1&plate=...&lot=...&limit=100

Bad query values are a 400 `{"error": "<field>: ..."}`; an unknown session a 404. Plates
are personal data: a resident sees only their own vehicles' sessions (with fees and
payments) and reservations, and another plate is a 403. Residents may also reserve and
cancel for their own vehicles: the owner checks registered here tell the web policy so.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import voluptuous as vol
from aiohttp import web

from hub import validation as cv
from hub.core.exceptions import ServiceValidationError, Unauthorized
from hub.plates import normalize_plate
from hub.web.access import ACCESS_KEY
from hub.web.api_doc import api_doc
from hub.web.helpers import AUTH_KEY, async_register_route, json_error, json_response, validate
from hub.web.users import User

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


_plate = cv.plate


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

    @api_doc(
        "Parking sessions, newest first (admins and operators)",
        tag="parking",
        query=QUERY_SCHEMA,
        response={"type": "object"},
        errors=(400, 403),
    )
    async def sessions(request: web.Request) -> web.Response:
        data, plates = query(request)
        found = []
        for plate in plates:
            found += await manager.store.async_sessions(
                data.get("lot"), plate, data.get("active"), data["limit"]
            )
        found = found[: data["limit"]]
        return json_response({"sessions": [session.as_dict(currency) for session in found]})

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
