"""The panel's view of its notifications: list them, mark them read or unread, dismiss.

REST under `/api/notify/panel` and two WebSocket commands, for the panel to come. New
ones arrive as `notification_sent` events (subscribe with `subscribe_events`).

Who sees which: a panel notification sent with a `target` is that user's (a resident's
own, or one operator's); one without is the staff's. Residents see their own, operators
the staff's and their own, admins all of them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import voluptuous as vol
from aiohttp import web

from hub.web import policy
from hub.web.api_doc import api_doc
from hub.web.auth import TokenInfo
from hub.web.helpers import (
    AUTH_KEY,
    HUB_KEY,
    async_register_route,
    json_error,
    json_response,
    query_flag,
)
from hub.web.ws import async_register_command
from hub.web.ws_connection import ERR_NOT_FOUND, ActiveConnection, websocket_command

from .const import DOMAIN

if TYPE_CHECKING:
    from hub.core.hub import Hub

    from .store import OutboxStore

__all__ = ["async_register_api"]

PANEL_PATH = "/api/notify/panel"


def _store(hub: Hub) -> OutboxStore:
    store: OutboxStore = hub.data[DOMAIN].store
    return store


def _audience(principal: TokenInfo) -> tuple[str, ...] | None:
    """The targets whose notifications `principal` sees ('' = the staff's); None: all."""
    level = policy.role_level(principal.role)
    if level >= policy.Access.ADMIN:
        return None
    own = (principal.user,) if principal.user else ()
    return ("", *own) if level >= policy.Access.OPERATOR else own


async def _listing(
    store: OutboxStore, unread_only: bool, audience: tuple[str, ...] | None
) -> dict[str, Any]:
    items = await store.async_panel_list(unread_only, audience)
    return {"notifications": items, "unread": sum(1 for item in items if not item["read"])}


@api_doc(
    "The panel's notifications",
    tag="notify",
    query={vol.Optional("unread", description="flag: only unread ones"): str},
    response={"type": "object"},
    errors=(),
)
async def _get_panel(request: web.Request) -> web.Response:
    unread_only = query_flag(request, "unread")
    audience = _audience(request[AUTH_KEY])
    return json_response(await _listing(_store(request.app[HUB_KEY]), unread_only, audience))


async def _mark(request: web.Request, read: bool) -> web.Response:
    note_id = request.match_info["id"]
    audience = _audience(request[AUTH_KEY])
    if not await _store(request.app[HUB_KEY]).async_panel_mark(note_id, read, audience):
        return json_error(404, f"no panel notification {note_id!r}")
    return json_response({"id": note_id, "read": read})


@api_doc("Mark a notification read", tag="notify", response={"type": "object"}, errors=(404,))
async def _post_read(request: web.Request) -> web.Response:
    return await _mark(request, True)


@api_doc("Mark a notification unread", tag="notify", response={"type": "object"}, errors=(404,))
async def _post_unread(request: web.Request) -> web.Response:
    return await _mark(request, False)


@api_doc("Mark every notification read", tag="notify", response={"type": "object"}, errors=())
async def _post_read_all(request: web.Request) -> web.Response:
    audience = _audience(request[AUTH_KEY])
    changed = await _store(request.app[HUB_KEY]).async_panel_mark(None, True, audience)
    return json_response({"marked": changed})


@api_doc("Dismiss a notification", tag="notify", response={"type": "object"}, errors=(404,))
async def _delete(request: web.Request) -> web.Response:
    note_id = request.match_info["id"]
    audience = _audience(request[AUTH_KEY])
    if not await _store(request.app[HUB_KEY]).async_panel_delete(note_id, audience):
        return json_error(404, f"no panel notification {note_id!r}")
    return json_response({"id": note_id, "deleted": True})


@websocket_command(
    {vol.Required("type"): "notify/panel/list", vol.Optional("unread_only", default=False): bool}
)
async def _ws_list(conn: ActiveConnection, msg: dict[str, Any]) -> None:
    listing = await _listing(_store(conn.hub), msg["unread_only"], _audience(conn.auth))
    conn.send_result(msg["id"], listing)


@websocket_command(
    {
        vol.Required("type"): "notify/panel/mark_read",
        vol.Optional("notification_id"): str,
        vol.Optional("read", default=True): bool,
    }
)
async def _ws_mark(conn: ActiveConnection, msg: dict[str, Any]) -> None:
    """Mark one notification (or, without `notification_id`, all of them)."""
    note_id = msg.get("notification_id")
    changed = await _store(conn.hub).async_panel_mark(note_id, msg["read"], _audience(conn.auth))
    if note_id is not None and not changed:
        conn.send_error(msg["id"], ERR_NOT_FOUND, f"no panel notification {note_id!r}")
        return
    conn.send_result(msg["id"], {"marked": changed})


def async_register_api(hub: Hub) -> None:
    """Add the routes and commands to the hub's web app (nothing when it has none)."""
    if hub.http is None:
        return
    async_register_route(hub, "GET", PANEL_PATH, _get_panel)
    async_register_route(hub, "POST", f"{PANEL_PATH}/read_all", _post_read_all)
    async_register_route(hub, "POST", f"{PANEL_PATH}/{{id}}/read", _post_read)
    async_register_route(hub, "POST", f"{PANEL_PATH}/{{id}}/unread", _post_unread)
    async_register_route(hub, "DELETE", f"{PANEL_PATH}/{{id}}", _delete)
    async_register_command(hub.http, _ws_list)
    async_register_command(hub.http, _ws_mark)
