"""The WebSocket API at /api/websocket, speaking Home Assistant's message protocol.

A browser cannot put a bearer token on a WebSocket handshake, so the socket opens
without one and the client proves itself first thing: the hub sends `auth_required`,
the client answers `{"type": "auth", "access_token": ...}` within AUTH_TIMEOUT, and
gets `auth_ok` (then commands flow) or `auth_invalid` (then the socket closes).
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from typing import Any, Final
from urllib.parse import urlsplit

import voluptuous as vol
from aiohttp import WSCloseCode, WSMsgType, web

from hub import __version__
from hub.core.json import JSONDecodeError, json_bytes, json_loads
from hub.core.services import describe_invalid

from .access import ACCESS_KEY
from .api_doc import api_doc
from .auth import TokenInfo
from .helpers import HUB_KEY, WEBSOCKETS_KEY
from .server import mark_authenticated
from .sessions import COOKIE_NAME
from .ws_commands import DEFAULT_COMMANDS
from .ws_connection import ERR_INVALID_FORMAT, ActiveConnection, WSCommand
from .ws_ha import HA_COMMANDS

__all__ = [
    "WS_COMMANDS_KEY",
    "WS_CONNECTIONS_KEY",
    "WS_PATH",
    "async_register_command",
    "async_register_websocket",
]

_LOGGER = logging.getLogger(__name__)

WS_PATH: Final = "/api/websocket"
WS_COMMANDS_KEY: Final = web.AppKey("ws_commands", dict[str, WSCommand])
# Authenticated clients, for /metrics (their queue lengths); weak, like WEBSOCKETS_KEY.
WS_CONNECTIONS_KEY: Final = web.AppKey("ws_connections", weakref.WeakSet[ActiveConnection])

AUTH_TIMEOUT = 10.0
HEARTBEAT: Final = 55.0
# Commands are small; anything bigger is a broken or hostile client.
MAX_MSG_SIZE: Final = 1024 * 1024

# Without `access_token`, the login session's cookie sent with the handshake is used.
AUTH_MESSAGE_SCHEMA: Final = vol.Schema(
    {vol.Required("type"): "auth", vol.Optional("access_token"): str}, extra=vol.ALLOW_EXTRA
)


async def _send(wsock: web.WebSocketResponse, message: dict[str, Any]) -> None:
    """Send directly, before the connection's writer exists (the handshake)."""
    await wsock.send_frame(json_bytes(message), WSMsgType.TEXT)


async def _async_authenticate(
    request: web.Request, wsock: web.WebSocketResponse
) -> TokenInfo | None:
    """Run the handshake; the client's token owner, or None (the socket is then closed)."""
    await _send(wsock, {"type": "auth_required", "ha_version": __version__})
    try:
        msg = await wsock.receive(timeout=AUTH_TIMEOUT)
    except TimeoutError:
        _LOGGER.debug("WebSocket client %s sent no auth in %ss", request.remote, AUTH_TIMEOUT)
        await wsock.close(code=WSCloseCode.POLICY_VIOLATION, message=b"auth timeout")
        return None
    if msg.type is not WSMsgType.TEXT:
        return None  # closed, or a binary frame: not a client of this protocol
    try:
        auth = AUTH_MESSAGE_SCHEMA(json_loads(msg.data))
    except (JSONDecodeError, vol.Invalid) as err:
        reason = describe_invalid(err) if isinstance(err, vol.Invalid) else "malformed JSON"
        await _send(
            wsock,
            {"type": "auth_invalid", "message": f"auth message incorrectly formatted: {reason}"},
        )
        return None
    access = request.app[ACCESS_KEY]
    if "access_token" in auth:
        info = await access.tokens.async_validate(auth["access_token"])
        failure = "invalid access token"
    elif COOKIE_NAME in request.cookies:
        info, failure = _cookie_principal(request), "the login session has ended: log in again"
    else:
        info = None
        failure = "auth message incorrectly formatted: access_token: required key not provided"
    if info is None:
        _LOGGER.warning("WebSocket login refused from %s: %s", request.remote, failure)
        await _send(wsock, {"type": "auth_invalid", "message": failure})
        return None
    mark_authenticated(request)
    await _send(wsock, {"type": "auth_ok", "ha_version": __version__})
    return info


def _cookie_principal(request: web.Request) -> TokenInfo | None:
    """The login session of the handshake's cookie, if the page is the hub's own.

    A page on another site can open a WebSocket to the hub and the browser would send
    the cookie along (SameSite=Strict stops that in current browsers; the Origin check
    stops it in the others): only a same-origin page gets the session.
    """
    access = request.app[ACCESS_KEY]
    origin = request.headers.get("Origin")
    if origin is not None and urlsplit(origin).netloc != request.host:
        return None
    session = access.cookie_session(request)
    return access.session_principal(session) if session is not None else None


async def _async_read(wsock: web.WebSocketResponse, conn: ActiveConnection) -> None:
    """Hand every text message to the connection until the socket closes."""
    async for msg in wsock:
        if msg.type is WSMsgType.TEXT:
            try:
                payload = json_loads(msg.data)
            except JSONDecodeError as err:
                conn.send_error(None, ERR_INVALID_FORMAT, f"malformed JSON: {err}")
                continue
            conn.async_handle(payload)
        elif msg.type is WSMsgType.BINARY:
            conn.send_error(None, ERR_INVALID_FORMAT, "expected a text frame with JSON")
        elif msg.type is WSMsgType.ERROR:
            _LOGGER.debug("WebSocket %s failed: %s", conn, wsock.exception())
            return


@api_doc(
    "The WebSocket API (Home Assistant's protocol; authenticates inside it)",
    description="Upgrade to a WebSocket, answer auth_required with "
    '{"type": "auth", "access_token": ...}, then send commands: get_states, '
    "subscribe_events, subscribe_entities, call_service, fire_event, get_config, "
    "get_services, ping.",
    tag="websocket",
    status=101,
    errors=(),
    auth="none",
)
async def _websocket_handler(request: web.Request) -> web.WebSocketResponse:
    """Serve one client from handshake to close; nothing it sends can raise out of here."""
    app = request.app
    wsock = web.WebSocketResponse(heartbeat=HEARTBEAT, max_msg_size=MAX_MSG_SIZE)
    await wsock.prepare(request)
    app[WEBSOCKETS_KEY].add(wsock)
    try:
        info = await _async_authenticate(request, wsock)
        if info is not None:
            commands = app[WS_COMMANDS_KEY]
            access = app[ACCESS_KEY]
            conn = ActiveConnection(app[HUB_KEY], wsock, info, commands, access)
            conn.remote = request.remote or "unknown"
            access.connections.add(conn)
            app[WS_CONNECTIONS_KEY].add(conn)
            _LOGGER.debug("WebSocket client %s connected", conn)
            writer = asyncio.get_running_loop().create_task(
                conn.async_write(), name=f"websocket writer {info.name}"
            )
            try:
                await _async_read(wsock, conn)
            finally:
                app[WS_CONNECTIONS_KEY].discard(conn)
                await conn.async_close()
                writer.cancel()
                await asyncio.wait([writer])
                if not writer.cancelled() and (err := writer.exception()) is not None:
                    _LOGGER.error("WebSocket writer for %s failed", conn, exc_info=err)
            _LOGGER.debug("WebSocket client %s disconnected", conn)
    except Exception:
        _LOGGER.exception("Error in WebSocket connection from %s", request.remote)
    finally:
        app[WEBSOCKETS_KEY].discard(wsock)
        if not wsock.closed:
            await wsock.close()
    return wsock


def async_register_command(app: web.Application, command: WSCommand) -> None:
    """Add a command (one made with `websocket_command`) to the WebSocket API."""
    app[WS_COMMANDS_KEY][command.type] = command


def async_register_websocket(app: web.Application) -> None:
    """Serve the WebSocket API on the app, with the built-in commands."""
    commands = (*DEFAULT_COMMANDS, *HA_COMMANDS)
    app[WS_COMMANDS_KEY] = {command.type: command for command in commands}
    app[WS_CONNECTIONS_KEY] = weakref.WeakSet()
    app.router.add_get(WS_PATH, _websocket_handler)
