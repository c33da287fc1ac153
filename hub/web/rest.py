"""The REST API, shaped like Home Assistant's: states, services, events and history.

Every body in and out is JSON; times are ISO 8601 and a state is `State.as_dict()`.
Bodies are validated here, at the edge, so a caller's mistake becomes a 400 that names
the field, and the hub inside only ever sees data of the right shape.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import voluptuous as vol
from aiohttp import web

from hub import __version__
from hub.core.bus import Event, EventOrigin
from hub.core.const import (
    EVENT_CALL_SERVICE,
    EVENT_HUB_STARTED,
    EVENT_HUB_STOP,
    EVENT_SERVICE_REGISTERED,
    EVENT_STATE_CHANGED,
)
from hub.core.exceptions import InvalidEntityId, ServiceValidationError
from hub.core.services import Service
from hub.core.states import State, valid_entity_id

from .access import ACCESS_KEY
from .helpers import (
    AUTH_KEY,
    HUB_KEY,
    ensure_object,
    json_error,
    json_response,
    read_json,
    request_context,
    validate,
)
from .states_body import StatesBody, join_states, respond

__all__ = ["HISTORY_DEFAULT_PERIOD", "STATES_BODY_KEY", "async_register_rest"]

STATES_BODY_KEY: Final = web.AppKey("states_body", StatesBody)

HISTORY_DEFAULT_PERIOD: Final = timedelta(days=1)

# Events only the hub itself may fire: their listeners trust the data's shape
# (state_changed carries State objects), which a remote caller cannot give.
_RESERVED_EVENTS: Final = frozenset(
    {
        EVENT_STATE_CHANGED,
        EVENT_CALL_SERVICE,
        EVENT_SERVICE_REGISTERED,
        EVENT_HUB_STARTED,
        EVENT_HUB_STOP,
    }
)
# "+00:00" arrives as " 00:00" when a client forgets to URL-encode the plus sign.
_SPACED_OFFSET: Final = re.compile(r"(\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?) (\d{2}:?\d{2})$")


def _object(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise vol.Invalid("expected a JSON object")
    return value


def _state_value(value: Any) -> str:
    """A state may be sent as a string, a number or a boolean; it is stored as a string."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    raise vol.Invalid("expected a string, number or boolean")


STATE_BODY_SCHEMA: Final = vol.Schema(
    {
        vol.Required("state"): _state_value,
        vol.Optional("attributes"): _object,
        vol.Optional("force_update", default=False): bool,
    }
)


def _entity_id(entity_id: str) -> str:
    if not valid_entity_id(entity_id):
        raise InvalidEntityId(f"invalid entity id {entity_id!r}: expected <domain>.<object_id>")
    return entity_id


def _entity_ids(value: str | None) -> list[str]:
    """`a,b` from a query string, each checked."""
    if not value:
        return []
    return [_entity_id(part.strip()) for part in value.split(",") if part.strip()]


def _parse_time(value: str | None, name: str) -> datetime | None:
    """An ISO 8601 time from a query string; a naive one is UTC."""
    if not value:
        return None
    text = _SPACED_OFFSET.sub(r"\1+\2", value.strip())
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ServiceValidationError(f"{name}: not an ISO 8601 time: {value!r}") from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


# -- status and states -------------------------------------------------------------------


async def _api_status(request: web.Request) -> web.Response:
    hub = request.app[HUB_KEY]
    return json_response(
        {"message": "API running.", "version": __version__, "name": hub.config.name}
    )


async def _get_states(request: web.Request) -> web.Response:
    """Every state; one body per state machine version, gzip on request (states_body)."""
    machine = request.app[HUB_KEY].states
    access, principal = request.app[ACCESS_KEY], request[AUTH_KEY]
    if access.restricted(principal):  # a resident: availability only
        states = [
            shown
            for state in machine.async_all()
            if (shown := access.visible_state(principal, state))
        ]
        return await respond(request, join_states(states))
    cache = request.app[STATES_BODY_KEY]
    return await respond(request, cache.get(machine.version, machine.async_all), cache)


async def _get_state(request: web.Request) -> web.Response:
    entity_id = _entity_id(request.match_info["entity_id"])
    state = request.app[HUB_KEY].states.get(entity_id)
    if state is not None:
        state = request.app[ACCESS_KEY].visible_state(request[AUTH_KEY], state)
    if state is None:
        return json_error(404, f"entity {entity_id} not found")
    return json_response(state)


async def _post_state(request: web.Request) -> web.Response:
    """Set a state: 201 when the entity is new, 200 when it existed (changed or not)."""
    hub = request.app[HUB_KEY]
    entity_id = _entity_id(request.match_info["entity_id"])
    body = validate(STATE_BODY_SCHEMA, ensure_object(await read_json(request)))
    is_new = entity_id not in hub.states
    hub.states.async_set(
        entity_id,
        body["state"],
        body.get("attributes"),
        force_update=body["force_update"],
        context=request_context(request),
    )
    state = hub.states.get(entity_id)
    headers = {"Location": f"/api/states/{entity_id}"}
    return json_response(state, 201 if is_new else 200, headers)


# -- services ----------------------------------------------------------------------------


def _describe_fields(schema: vol.Schema | None) -> dict[str, dict[str, Any]]:
    """The fields a service's schema accepts, for clients that draw forms from them."""
    if schema is None or not isinstance(getattr(schema, "schema", None), dict):
        return {}
    fields: dict[str, dict[str, Any]] = {}
    for key in schema.schema:
        name = key.schema if isinstance(key, vol.Marker) else key
        if not isinstance(name, str):
            continue
        field: dict[str, Any] = {"required": isinstance(key, vol.Required)}
        if isinstance(key, vol.Marker) and key.description:
            field["description"] = key.description
        fields[name] = field
    return fields


def _describe_services(services: dict[str, Service]) -> dict[str, dict[str, Any]]:
    return {
        name: {"description": service.description, "fields": _describe_fields(service.schema)}
        for name, service in sorted(services.items())
    }


async def _get_services(request: web.Request) -> web.Response:
    services = request.app[HUB_KEY].services.async_services()
    return json_response(
        [
            {"domain": domain, "services": _describe_services(by_name)}
            for domain, by_name in sorted(services.items())
        ]
    )


async def _call_service(request: web.Request) -> web.Response:
    """Call a service and answer with the states it changed (Home Assistant's shape)."""
    hub = request.app[HUB_KEY]
    domain, service = request.match_info["domain"], request.match_info["service"]
    data = ensure_object(await read_json(request, default={}), "service data")
    context = request_context(request)
    changed: list[State] = []

    def collect(event: Event) -> None:
        new_state = event.data["new_state"]
        if new_state is not None and context.id in (event.context.id, event.context.parent_id):
            changed.append(new_state)

    unsubscribe = hub.bus.async_listen(EVENT_STATE_CHANGED, collect)
    try:
        await hub.services.async_call(domain, service, data, context=context, blocking=True)
    finally:
        unsubscribe()
    return json_response(changed)


# -- events ------------------------------------------------------------------------------


async def _get_events(request: web.Request) -> web.Response:
    listeners = request.app[HUB_KEY].bus.async_listeners()
    return json_response(
        [{"event": event, "listener_count": count} for event, count in sorted(listeners.items())]
    )


async def _fire_event(request: web.Request) -> web.Response:
    hub = request.app[HUB_KEY]
    event_type = request.match_info["event_type"]
    if event_type in _RESERVED_EVENTS:
        raise ServiceValidationError(f"{event_type} events can only be fired by the hub itself")
    data = ensure_object(await read_json(request, default={}), "event data")
    hub.bus.async_fire(event_type, data, EventOrigin.remote, request_context(request))
    return json_response({"message": f"Event {event_type} fired."})


# -- history -----------------------------------------------------------------------------


def _history_window(request: web.Request) -> tuple[list[str], datetime, datetime | None]:
    hub = request.app[HUB_KEY]
    query = request.query
    entity_ids = _entity_ids(query.get("entity_id"))
    end = _parse_time(query.get("end"), "end")
    start = _parse_time(query.get("start"), "start")
    if start is None:
        start = (end or hub.scheduler.utcnow()) - HISTORY_DEFAULT_PERIOD
    if end is not None and end < start:
        raise ServiceValidationError("start must be before end")
    return entity_ids, start, end


def _no_recorder() -> web.Response:
    return json_error(503, "the recorder is not running")


async def _get_history(request: web.Request) -> web.Response:
    """`{entity_id: [state, ...]}` for the window (default: the last 24 hours)."""
    entity_ids, start, end = _history_window(request)
    recorder = request.app[HUB_KEY].recorder
    if recorder is None:
        return _no_recorder()
    return json_response(await recorder.async_history(entity_ids or None, start, end))


async def _get_statistics(request: web.Request) -> web.Response:
    """`{entity_id: [{"start", "mean", "min", "max"}, ...]}`, hourly, for the listed sensors."""
    entity_ids, start, end = _history_window(request)
    if not entity_ids:
        raise ServiceValidationError("entity_id is required: the sensors to give statistics for")
    recorder = request.app[HUB_KEY].recorder
    if recorder is None:
        return _no_recorder()
    return json_response(await recorder.async_statistics(entity_ids, start, end))


def _routes() -> Iterable[web.RouteDef]:
    return (
        web.get("/api/", _api_status),
        web.get("/api/states", _get_states),
        web.get("/api/states/{entity_id}", _get_state),
        web.post("/api/states/{entity_id}", _post_state),
        web.get("/api/services", _get_services),
        web.post("/api/services/{domain}/{service}", _call_service),
        web.get("/api/events", _get_events),
        web.post("/api/events/{event_type}", _fire_event),
        web.get("/api/history", _get_history),
        web.get("/api/history/statistics", _get_statistics),
    )


def async_register_rest(app: web.Application) -> None:
    """Add the REST routes to the app."""
    app[STATES_BODY_KEY] = StatesBody(app[HUB_KEY].async_add_executor_job)
    app.add_routes(_routes())
