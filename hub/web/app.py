"""The web server: one aiohttp application serving the REST and WebSocket APIs.

Two middlewares guard every route. The outer one turns every error into the API's one
shape, `{"error": "<what is wrong>"}`, with a 4xx for anything the caller got wrong; a
500 means a bug in the hub and is logged with its traceback. The inner one
(`access.access_middleware`) finds who is asking (bearer token or login cookie), applies
the route's rule from `policy.py` (default: admin only), checks the CSRF header of cookie
requests that change something, and writes those changes to the audit log. The
WebSocket handshake authenticates inside its own protocol.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import socket
import weakref
from collections.abc import AsyncIterator
from typing import Final

from aiohttp import WSCloseCode, web
from aiohttp.typedefs import Handler

from hub.core.exceptions import HubError, ServiceValidationError, Unauthorized
from hub.core.hub import Hub
from hub.frontend import async_register_frontend

from .access import ACCESS_KEY, AccessControl, access_middleware, async_revalidate_loop
from .audit import AuditLog, async_register_audit_api
from .auth_api import async_register_auth_api, async_start_onboarding
from .helpers import AUTH_KEY, HUB_KEY, TOKENS_KEY, WEBSOCKETS_KEY, json_error
from .metrics import async_setup_metrics, metrics_middleware
from .openapi import async_register_openapi
from .rest import async_register_rest
from .rest_ha import async_register_rest_ha
from .server import (
    MAX_URL_LENGTH,
    ConnectionGuard,
    HubAppRunner,
    mark_authenticated,
    url_too_long,
)
from .ws import async_register_websocket

__all__ = [
    "HUB_KEY",
    "WebServerError",
    "async_serve",
    "async_start_web",
    "bind_socket",
    "create_app",
]

_LOGGER = logging.getLogger(__name__)

API_PREFIX: Final = "/api/"
# REST bodies are small JSON documents; this is aiohttp's default, stated on purpose.
MAX_BODY_SIZE: Final = 1024 * 1024
# How long stop waits for in-flight requests before cutting them off.
SHUTDOWN_TIMEOUT: Final = 10.0


class WebServerError(HubError):
    """The web server could not start (the port is taken, the address is wrong)."""


def _error_message(err: web.HTTPException, request: web.Request) -> str:
    """What aiohttp's own error means, said for an API client."""
    if isinstance(err, web.HTTPNotFound):
        return f"not found: {request.path}"
    if isinstance(err, web.HTTPMethodNotAllowed):
        allowed = ", ".join(sorted(err.allowed_methods))
        return f"method {request.method} is not allowed on {request.path} (allowed: {allowed})"
    text = err.text or err.reason
    prefix = f"{err.status}: "
    return text[len(prefix) :] if text.startswith(prefix) else text


@web.middleware
async def _error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Answer every error as JSON; only a bug may become a 500."""
    if url_too_long(request):
        return json_error(414, f"the URL is longer than {MAX_URL_LENGTH} bytes")
    try:
        return await handler(request)
    except web.HTTPException as err:
        if err.status < 400:
            raise
        headers = {"Allow": err.headers["Allow"]} if "Allow" in err.headers else None
        return json_error(err.status, _error_message(err, request), headers)
    except ServiceValidationError as err:  # includes InvalidEntityId and ServiceNotFound
        return json_error(400, str(err))
    except Unauthorized as err:
        return json_error(403, str(err) or "not allowed")
    except HubError as err:
        return json_error(400, str(err) or type(err).__name__)
    except Exception:
        _LOGGER.exception("Error handling %s %s", request.method, request.path)
        return json_error(500, "internal error")
    finally:
        if request.get(AUTH_KEY) is not None:  # the auth middleware knew the caller
            mark_authenticated(request)


async def _open_access(app: web.Application) -> AsyncIterator[None]:
    """Open the audit log and, with no admin yet, log the onboarding code (cleanup_ctx)."""
    access = app[ACCESS_KEY]
    hub = app[HUB_KEY]
    audit = await AuditLog.async_open(hub, hub.config.audit_days)
    access.audit = audit

    async def purge(now: object) -> None:
        await audit.async_purge()

    cancel_purge = hub.scheduler.async_track_interval(86400, purge)
    await access.users.async_refresh()
    async_start_onboarding(access)
    stop_gates = hub.bus.async_listen("gate_command", access.audit_gate_command)
    yield
    stop_gates()
    cancel_purge()
    access.audit = None
    await audit.async_close()


def create_app(hub: Hub, *, metrics_token: str | None = None) -> web.Application:
    """Build the application: keys, middlewares, the REST routes and the WebSocket API.

    The app becomes `hub.http`, so integrations set up after this can add their routes
    (`hub.web.async_register_route`) before the server starts and freezes the router.
    `metrics_token` (config.yaml `metrics: token:`) may read /metrics besides admins.
    """
    app = web.Application(
        middlewares=[metrics_middleware, _error_middleware, access_middleware],
        client_max_size=MAX_BODY_SIZE,
    )
    app[HUB_KEY] = hub
    access = AccessControl(hub)
    app[ACCESS_KEY] = access
    app[TOKENS_KEY] = access.tokens
    app[WEBSOCKETS_KEY] = weakref.WeakSet()
    app.cleanup_ctx.append(async_revalidate_loop)
    app.cleanup_ctx.append(_open_access)
    async_register_auth_api(app)
    async_register_audit_api(app)
    async_register_rest(app)
    async_register_rest_ha(app)
    async_register_openapi(app)
    async_setup_metrics(app, metrics_token)
    async_register_websocket(app)
    async_register_frontend(app)
    hub.http = app
    return app


async def _close_websockets(app: web.Application) -> None:
    """Say goodbye to every open socket, so their handlers end and stop need not wait."""
    open_sockets = app[WEBSOCKETS_KEY]
    sockets = list(open_sockets)
    if sockets:
        await asyncio.gather(
            *(ws.close(code=WSCloseCode.GOING_AWAY, message=b"hub stopping") for ws in sockets),
            return_exceptions=True,
        )


def bind_socket(host: str, port: int) -> socket.socket:
    """Claim host:port before anything slow starts, so a taken port fails at once.

    Blocking (a host name is looked up): call it in the executor.

    A port that is taken raises WebServerError saying so, instead of an OSError traceback.
    """
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        family, kind, proto, _, address = infos[0]
        sock = socket.socket(family, kind, proto)
    except OSError as err:
        raise WebServerError(f"cannot listen on {host}:{port}: {err.strerror or err}") from None
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except OSError as err:
        sock.close()
        if err.errno == errno.EADDRINUSE:
            raise WebServerError(
                f"port {port} is in use: is another hub running? (set hub: port: in config.yaml)"
            ) from None
        raise WebServerError(f"cannot listen on {host}:{port}: {err.strerror or err}") from None
    sock.setblocking(False)
    return sock


async def async_serve(hub: Hub, app: web.Application, sock: socket.socket) -> web.AppRunner:
    """Serve `app` on a bound socket until the hub stops.

    At the hub's close, open WebSockets are closed first, then the runner.
    """
    runner = HubAppRunner(
        app, ConnectionGuard(), handle_signals=False, shutdown_timeout=SHUTDOWN_TIMEOUT
    )
    await runner.setup()
    await web.SockSite(runner, sock).start()

    async def close() -> None:
        await _close_websockets(app)
        await runner.cleanup()

    hub.async_on_close(close)
    _LOGGER.info("Web server listening on %s", ", ".join(map(str, runner.addresses)))
    return runner


async def async_start_web(hub: Hub, host: str, port: int) -> web.AppRunner:
    """Build the app and serve it on host:port at once (no integration routes to wait for)."""
    sock = await hub.async_add_executor_job(bind_socket, host, port)
    return await async_serve(hub, create_app(hub), sock)
