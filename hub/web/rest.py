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
from hub import validation as cv
from hub.core.bus import Event, EventOrigin
from hub.core.const import (
    EVENT_CALL_SERVICE,
    EVENT_HUB_STARTED,
    EVENT_HUB_STOP,
    EVENT_SERVICE_REGISTERED,
    EVENT_STATE_CHANGED,
)
from hub.core.exceptions import InvalidEntityId, ServiceValidationError
from hub.core.limits import MAX_ENTITY_ID_LENGTH, MAX_STATE_BODY, MAX_YEAR, MIN_YEAR, check_nesting
from hub.core.services import Service
from hub.core.states import State, valid_entity_id

from .access import ACCESS_KEY
from .api_doc import api_doc
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
from .schema_doc import service_fields
from .states_body import StatesBody, respond

__all__ = [
    "HISTORY_DEFAULT_PERIOD",
    "HISTORY_QUERY",
    "RESERVED_EVENTS",
    "STATES_BODY_KEY",
    "STATE_BODY_SCHEMA",
    "async_register_rest",
    "describe_services",
]

STATES_BODY_KEY: Final = web.AppKey("states_body", StatesBody)
# The residents' view (availability only) is the same for every resident: one body too.
RESIDENT_STATES_BODY_KEY: Final = web.AppKey("resident_states_body", StatesBody)

HISTORY_DEFAULT_PERIOD: Final = timedelta(days=1)

# Events only the hub itself may fire: their listeners trust the data's shape
# (state_changed carries State objects), which a remote caller cannot give.
RESERVED_EVENTS: Final = frozenset(
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


def _attributes(value: Any) -> dict[str, Any]:
    """A state's attributes: an object nested at most 32 deep (deeper ones once broke
    `GET /api/states` for everyone)."""
    attributes = _object(value)
    try:
        check_nesting(attributes, "attributes")
    except ServiceValidationError as err:
        raise vol.Invalid(str(err).partition(": ")[2]) from None
    return attributes


def _state_value(value: Any) -> str:
    """A state may be sent as a string, a number or a boolean; it is stored as a string."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    raise vol.Invalid("expected a string, number or boolean")


# Other keys are ignored, as Home Assistant does: clients post a whole state back
# (entity_id, last_changed, context...), of which only these three are set.
STATE_BODY_SCHEMA: Final = vol.Schema(
    {
        vol.Required("state", description="the new state (stored as a string)"): _state_value,
        vol.Optional("attributes", description="replaces all attributes"): _attributes,
        vol.Optional("force_update", default=False): bool,
    },
    extra=vol.REMOVE_EXTRA,
)
HISTORY_QUERY: Final = {
    vol.Optional("entity_id", description="entity ids, comma-separated"): str,
    vol.Optional("start", description="ISO 8601; default: a day before end"): str,
    vol.Optional("end", description="ISO 8601; default: now"): str,
}
_HISTORY_QUERY_SCHEMA: Final = vol.Schema(HISTORY_QUERY, extra=vol.ALLOW_EXTRA)


def _entity_id(entity_id: str) -> str:
    if len(entity_id) > MAX_ENTITY_ID_LENGTH:
        raise InvalidEntityId(
            f"invalid entity id {entity_id[:40]!r}...: "
            f"longer than {MAX_ENTITY_ID_LENGTH} characters"
        )
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
        raise ServiceValidationError(f"{name}: not an ISO 8601 time: {value[:60]!r}") from None
    if not MIN_YEAR <= parsed.year <= MAX_YEAR:
        raise ServiceValidationError(
            f"{name}: expected a time in the years {MIN_YEAR} to {MAX_YEAR}, got {value!r}"
        )
    try:  # a day to spare either side: the default window adds or takes one
        cv.date_time(parsed)
    except vol.Invalid as err:
        raise ServiceValidationError(f"{name}: {err.msg}") from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


# -- status and states -------------------------------------------------------------------


@api_doc("Whether the API is running", response={"type": "object"}, errors=())
async def _api_status(request: web.Request) -> web.Response:
    hub = request.app[HUB_KEY]
    return json_response(
        {"message": "API running.", "version": __version__, "name": hub.config.name}
    )


@api_doc("Every entity's state", response="States", errors=())
async def _get_states(request: web.Request) -> web.Response:
    """Every state; one body per state machine version, gzip on request (states_body)."""
    machine = request.app[HUB_KEY].states
    access, principal = request.app[ACCESS_KEY], request[AUTH_KEY]
    if access.restricted(principal):  # a resident: availability only

        def visible() -> list[State]:
            states = machine.async_all()
            return [shown for state in states if (shown := access.visible_state(principal, state))]

        cache = request.app[RESIDENT_STATES_BODY_KEY]
        return await respond(request, cache.get(machine.version, visible), cache)
    cache = request.app[STATES_BODY_KEY]
    return await respond(request, cache.get(machine.version, machine.async_all), cache)


@api_doc("One entity's state", response="State", errors=(400, 404))
async def _get_state(request: web.Request) -> web.Response:
    entity_id = _entity_id(request.match_info["entity_id"])
    state = request.app[HUB_KEY].states.get(entity_id)
    if state is not None:
        state = request.app[ACCESS_KEY].visible_state(request[AUTH_KEY], state)
    if state is None:
        return json_error(404, f"entity {entity_id} not found")
    return json_response(state)


@api_doc("Set a state (201 when the entity is new)", body=STATE_BODY_SCHEMA, response="State")
async def _post_state(request: web.Request) -> web.Response:
    """Set a state: 201 when the entity is new, 200 when it existed (changed or not)."""
    hub = request.app[HUB_KEY]
    entity_id = _entity_id(request.match_info["entity_id"])
    if len(await request.read()) > MAX_STATE_BODY:
        raise ServiceValidationError(f"body: a state is at most {MAX_STATE_BODY} bytes")
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


def describe_services(services: dict[str, Service]) -> dict[str, dict[str, Any]]:
    """One domain's services as Home Assistant lists them: name, description, fields.

    The fields come from each service's own voluptuous schema (`voluptuous-openapi`).
    """
    return {
        name: {
            "name": name.replace("_", " ").capitalize(),
            "description": service.description,
            "fields": service_fields(service.schema),
        }
        for name, service in sorted(services.items())
    }


@api_doc(
    "Every service, with the fields its schema accepts",
    response={"type": "array", "items": {"type": "object"}},
    errors=(),
)
async def _get_services(request: web.Request) -> web.Response:
    services = request.app[HUB_KEY].services.async_services()
    return json_response(
        [
            {"domain": domain, "services": describe_services(by_name)}
            for domain, by_name in sorted(services.items())
        ]
    )


@api_doc(
    "Call a service; answers with the states it changed",
    description="The body is the service's data, checked by its schema (see /api/services). "
    "With ?return_response the answer is {changed_states, service_response}.",
    body={str: object},
    query={vol.Optional("return_response", description="flag"): str},
    response="States",
    errors=(400, 403),
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
        response = await hub.services.async_call(
            domain, service, data, context=context, blocking=True
        )
    finally:
        unsubscribe()
    if "return_response" in request.query:
        return json_response({"changed_states": changed, "service_response": response})
    return json_response(changed)


# -- events ------------------------------------------------------------------------------


@api_doc(
    "Event types with listeners, and how many",
    response={"type": "array", "items": {"type": "object"}},
    errors=(),
)
async def _get_events(request: web.Request) -> web.Response:
    listeners = request.app[HUB_KEY].bus.async_listeners()
    return json_response(
        [{"event": event, "listener_count": count} for event, count in sorted(listeners.items())]
    )


@api_doc(
    "Fire an event (not one of the hub's own: state_changed, call_service...)",
    body={str: object},
    response={"type": "object"},
)
async def _fire_event(request: web.Request) -> web.Response:
    hub = request.app[HUB_KEY]
    event_type = request.match_info["event_type"]
    if event_type in RESERVED_EVENTS:
        raise ServiceValidationError(f"{event_type} events can only be fired by the hub itself")
    data = ensure_object(await read_json(request, default={}), "event data")
    check_nesting(data, "event data")
    hub.bus.async_fire(event_type, data, EventOrigin.remote, request_context(request))
    return json_response({"message": f"Event {event_type} fired."})


# -- history -----------------------------------------------------------------------------


def _history_window(request: web.Request) -> tuple[list[str], datetime, datetime | None]:
    hub = request.app[HUB_KEY]
    query = validate(_HISTORY_QUERY_SCHEMA, dict(request.query), "query")
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


@api_doc(
    "States per entity over a window (default: the last 24 hours)",
    query=HISTORY_QUERY,
    response={"type": "object"},
    errors=(400, 503),
)
async def _get_history(request: web.Request) -> web.Response:
    """`{entity_id: [state, ...]}` for the window (default: the last 24 hours)."""
    entity_ids, start, end = _history_window(request)
    recorder = request.app[HUB_KEY].recorder
    if recorder is None:
        return _no_recorder()
    return json_response(await recorder.async_history(entity_ids or None, start, end))


@api_doc(
    "Hourly mean, min and max of numeric sensors",
    query=HISTORY_QUERY,
    response={"type": "object"},
    errors=(400, 503),
)
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
    app[RESIDENT_STATES_BODY_KEY] = StatesBody(app[HUB_KEY].async_add_executor_job)
    app.add_routes(_routes())
