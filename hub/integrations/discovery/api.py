"""REST for the panel's "found on the network" list: list, adopt, ignore."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

import voluptuous as vol
from aiohttp import web

from hub import validation as cv
from hub.web.api_doc import api_doc
from hub.web.helpers import (
    HUB_KEY,
    async_register_route,
    ensure_object,
    json_error,
    json_response,
    query_flag,
    read_json,
    validate,
)

from .const import CAMERA_SOURCES, DOMAIN
from .registry import DeviceNotFound

if TYPE_CHECKING:
    from hub.core.hub import Hub

    from .registry import DiscoveryRegistry

__all__ = ["async_register_api"]

PATH: Final = "/api/discovery"

ADOPT_SCHEMA: Final = vol.Schema(
    {
        vol.Optional("id"): cv.slug,
        vol.Optional("name"): cv.string,
        vol.Optional("source"): vol.In(CAMERA_SOURCES),
        vol.Optional("url"): cv.url,
    },
    extra=vol.PREVENT_EXTRA,
)
IGNORE_SCHEMA: Final = vol.Schema({vol.Optional("ignore", default=True): bool})


def _registry(request: web.Request) -> DiscoveryRegistry:
    hub: Hub = request.app[HUB_KEY]
    registry: DiscoveryRegistry = hub.data[DOMAIN].registry
    return registry


@api_doc(
    "Devices found on the network",
    tag="discovery",
    query={vol.Optional("all", description="flag: include ignored ones"): str},
    response={"type": "object"},
    errors=(),
)
async def _get_list(request: web.Request) -> web.Response:
    include_ignored = query_flag(request, "all")
    return json_response({"devices": _registry(request).async_listing(include_ignored)})


@api_doc(
    "Adopt a found camera (201 with its camera entry)",
    tag="discovery",
    body=ADOPT_SCHEMA,
    response={"type": "object"},
    status=201,
    errors=(400, 403, 404),
)
async def _post_adopt(request: web.Request) -> web.Response:
    body: dict[str, Any] = validate(ADOPT_SCHEMA, ensure_object(await read_json(request, {})))
    try:
        entry = await _registry(request).async_adopt(request.match_info["id"], body)
    except DeviceNotFound as err:
        return json_error(404, str(err))
    return json_response({"camera": entry}, status=201)


@api_doc(
    "Ignore a found device (or stop ignoring it)",
    tag="discovery",
    body=IGNORE_SCHEMA,
    response={"type": "object"},
    errors=(400, 403, 404),
)
async def _post_ignore(request: web.Request) -> web.Response:
    body = validate(IGNORE_SCHEMA, ensure_object(await read_json(request, {})))
    device_id = request.match_info["id"]
    try:
        await _registry(request).async_ignore(device_id, body["ignore"])
    except DeviceNotFound as err:
        return json_error(404, str(err))
    return json_response({"id": device_id, "ignored": body["ignore"]})


def async_register_api(hub: Hub) -> None:
    async_register_route(hub, "GET", PATH, _get_list)
    async_register_route(hub, "POST", f"{PATH}/{{id}}/adopt", _post_adopt)
    async_register_route(hub, "POST", f"{PATH}/{{id}}/ignore", _post_ignore)
