"""The REST routes Home Assistant's clients call besides states, services and events.

`/api/config`, `/api/components`, `/api/template` and `/api/history/period[/{start}]`,
answered in Home Assistant's shapes, so libraries written for HA (`homeassistant-api`,
scripts using HA's REST docs) work against a hub unchanged.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

import voluptuous as vol
from aiohttp import web

from hub import __version__
from hub.core.exceptions import ServiceValidationError, Unauthorized
from hub.core.hub import CoreState, Hub
from hub.template import Template

from .api_doc import api_doc
from .helpers import (
    AUTH_KEY,
    HUB_KEY,
    ensure_object,
    json_error,
    json_response,
    read_json,
    validate,
)
from .rest import HISTORY_DEFAULT_PERIOD, _entity_ids, _parse_time

__all__ = ["HISTORY_PERIOD_QUERY", "TEMPLATE_BODY_SCHEMA", "async_register_rest_ha", "hub_config"]

_UNITS: Final = {
    "metric": {
        "length": "km",
        "accumulated_precipitation": "mm",
        "mass": "g",
        "pressure": "Pa",
        "temperature": "°C",
        "volume": "L",
        "wind_speed": "m/s",
    },
    "imperial": {
        "length": "mi",
        "accumulated_precipitation": "in",
        "mass": "lb",
        "pressure": "psi",
        "temperature": "°F",
        "volume": "gal",
        "wind_speed": "mph",
    },
}

TEMPLATE_BODY_SCHEMA: Final = vol.Schema(
    {
        vol.Required("template", description="Jinja2 text to render"): str,
        vol.Optional("variables", description="extra names the template can read"): dict,
    },
    extra=vol.REMOVE_EXTRA,
)

# Home Assistant's query of /api/history/period; flags count when present, whatever value.
HISTORY_PERIOD_QUERY: Final = {
    vol.Optional("filter_entity_id", description="entity ids, comma-separated"): str,
    vol.Optional("end_time", description="ISO 8601; default: start + 1 day"): str,
    vol.Optional("minimal_response", description="flag: middle states without attributes"): str,
    vol.Optional("no_attributes", description="flag: leave attributes out"): str,
    vol.Optional("significant_changes_only", description="flag (every change counts)"): str,
}
_HISTORY_QUERY_SCHEMA: Final = vol.Schema(HISTORY_PERIOD_QUERY, extra=vol.ALLOW_EXTRA)


def components(hub: Hub) -> list[str]:
    """The running integrations, plus the core parts HA clients look for by name.

    Clients check `"history" in components` (HA's frontend does) before asking for it.
    """
    core = {"api", "http", "websocket_api"}
    if hub.recorder is not None:
        core |= {"recorder", "history"}
    return sorted(hub.components | core)


def hub_config(hub: Hub) -> dict[str, Any]:
    """The hub's settings in the shape of Home Assistant's `get_config` / `/api/config`."""
    config = hub.config
    return {
        "location_name": config.name,
        "latitude": 0.0,
        "longitude": 0.0,
        "elevation": 0,
        "unit_system": _UNITS[config.unit_system],
        "time_zone": config.time_zone,
        "currency": config.currency,
        "components": components(hub),
        "config_dir": str(hub.config_dir),
        "allowlist_external_dirs": [],
        "allowlist_external_urls": [],
        "version": __version__,
        "config_source": "yaml",
        "recovery_mode": False,
        "safe_mode": False,
        "state": "RUNNING" if hub.state is CoreState.running else hub.state.name.upper(),
        "external_url": None,
        "internal_url": None,
        "country": None,
        "language": "en",
        "radius": 0,
    }


@api_doc("The hub's settings, in Home Assistant's shape", tag="ha", response={"type": "object"})
async def _get_config(request: web.Request) -> web.Response:
    return json_response(hub_config(request.app[HUB_KEY]))


@api_doc(
    "The integrations that are running",
    tag="ha",
    response={"type": "array", "items": {"type": "string"}},
)
async def _get_components(request: web.Request) -> web.Response:
    return json_response(components(request.app[HUB_KEY]))


@api_doc(
    "Render a template (admins only)",
    tag="ha",
    body=TEMPLATE_BODY_SCHEMA,
    response={"type": "string"},
    content_type="text/plain",
    errors=(400, 403),
    role="admin",
)
async def _render_template(request: web.Request) -> web.Response:
    """Render with the hub's template functions; the text comes back as text/plain."""
    if request[AUTH_KEY].role != "admin":
        raise Unauthorized("rendering templates is for admins only")
    body = validate(TEMPLATE_BODY_SCHEMA, ensure_object(await read_json(request)))
    template = Template(body["template"], request.app[HUB_KEY])
    rendered = template.async_render(body.get("variables"), parse_result=False)
    return web.Response(text=str(rendered), content_type="text/plain")


def _minimal(states: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """HA's minimal_response: the first state whole, the rest only state and last_changed."""
    if len(states) < 2:
        return states
    rest = [{"state": s["state"], "last_changed": s["last_changed"]} for s in states[1:]]
    return [states[0], *rest]


@api_doc(
    "State history in Home Assistant's shape: one list of states per entity",
    tag="ha",
    query=HISTORY_PERIOD_QUERY,
    response={"type": "array", "items": {"$ref": "#/components/schemas/States"}},
    errors=(400, 503),
)
async def _get_history_period(request: web.Request) -> web.Response:
    """`[[state, ...], ...]` from `start` (default: a day before now or `end_time`)."""
    hub = request.app[HUB_KEY]
    query = validate(_HISTORY_QUERY_SCHEMA, dict(request.query), "query")
    entity_ids = _entity_ids(query.get("filter_entity_id"))
    start: datetime | None = _parse_time(request.match_info.get("start"), "start")
    end = _parse_time(query.get("end_time"), "end_time")
    if start is None:
        start = (end or hub.scheduler.utcnow()) - HISTORY_DEFAULT_PERIOD
    if end is None:
        end = start + HISTORY_DEFAULT_PERIOD
    if end < start:
        raise ServiceValidationError("end_time must be after the start")
    if hub.recorder is None:
        return json_error(503, "the recorder is not running")
    history = await hub.recorder.async_history(entity_ids or None, start, end)
    result = []
    for entity_id in entity_ids or sorted(history):
        states = [s for s in history.get(entity_id, ()) if s["state"] is not None]
        if "no_attributes" in query:
            states = [{k: v for k, v in s.items() if k != "attributes"} for s in states]
        if "minimal_response" in query:
            states = _minimal(states)
        if states:
            result.append(states)
    return json_response(result)


def async_register_rest_ha(app: web.Application) -> None:
    """Add Home Assistant's extra REST routes to the app."""
    app.add_routes(
        [
            web.get("/api/config", _get_config),
            web.get("/api/components", _get_components),
            web.post("/api/template", _render_template),
            web.get("/api/history/period", _get_history_period),
            web.get("/api/history/period/{start}", _get_history_period),
        ]
    )
