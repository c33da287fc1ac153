"""What every web module shares: the typed app and request keys, and JSON in and out."""

from __future__ import annotations

import weakref
from typing import Any, Final

import voluptuous as vol
from aiohttp import web
from aiohttp.typedefs import Handler, LooseHeaders

from hub.core.context import Context
from hub.core.exceptions import HubError, ServiceValidationError
from hub.core.hub import Hub
from hub.core.json import JSONDecodeError, json_bytes, json_loads
from hub.core.services import describe_invalid

from .auth import TokenInfo, TokenStore

__all__ = [
    "AUTH_KEY",
    "CONTENT_TYPE_JSON",
    "CONTEXT_KEY",
    "HUB_KEY",
    "TOKENS_KEY",
    "WEBSOCKETS_KEY",
    "async_register_route",
    "ensure_object",
    "json_error",
    "json_response",
    "json_type",
    "query_flag",
    "read_json",
    "request_context",
    "user_names",
    "validate",
]

CONTENT_TYPE_JSON: Final = "application/json"

HUB_KEY: Final = web.AppKey("hub", Hub)
TOKENS_KEY: Final = web.AppKey("tokens", TokenStore)
# Open sockets, so stop can close them; weak, so a finished handler needs no bookkeeping.
WEBSOCKETS_KEY: Final = web.AppKey("websockets", weakref.WeakSet[web.WebSocketResponse])
AUTH_KEY: Final = web.RequestKey("auth", TokenInfo)
# The Context a request caused, kept so the audit log can name it.
CONTEXT_KEY: Final = web.RequestKey("context", Context)

_NO_BODY: Any = object()


def json_response(
    data: Any, status: int = 200, headers: LooseHeaders | None = None
) -> web.Response:
    """A JSON response through the hub's one encoder (orjson, knows State/Event/Context)."""
    return web.Response(
        body=json_bytes(data), status=status, headers=headers, content_type=CONTENT_TYPE_JSON
    )


def json_error(status: int, message: str, headers: LooseHeaders | None = None) -> web.Response:
    """The one error shape of the API: `{"error": "<what is wrong>"}`."""
    return json_response({"error": message}, status, headers)


async def read_json(request: web.Request, default: Any = _NO_BODY) -> Any:
    """The request body as JSON; `default` when it is empty (if given).

    Malformed JSON raises ServiceValidationError, which the error middleware turns into
    a 400 that says where the JSON broke.
    """
    raw = await request.read()
    if not raw.strip():
        if default is _NO_BODY:
            raise ServiceValidationError("a JSON body is required")
        return default
    try:
        return json_loads(raw)
    except JSONDecodeError as err:
        raise ServiceValidationError(f"malformed JSON body: {err}") from None


def validate(schema: vol.Schema, data: Any, what: str = "body") -> Any:
    """Run a voluptuous schema; its errors become ServiceValidationError naming the field."""
    try:
        return schema(data)
    except vol.Invalid as err:
        raise ServiceValidationError(f"invalid {what}: {describe_invalid(err)}") from None


def query_flag(request: web.Request, key: str) -> bool:
    """`?key=1` (or `true`, `yes`) turns an option on; absent or anything else is off."""
    return request.query.get(key, "").lower() in ("1", "true", "yes")


def request_context(request: web.Request) -> Context:
    """The Context of what this request causes (one per request), carrying its user."""
    context = request.get(CONTEXT_KEY)
    if context is None:
        context = request[CONTEXT_KEY] = Context(user_id=request[AUTH_KEY].user_id)
    return context


def json_type(value: Any) -> str:
    """The JSON name of a decoded value's type, for error messages."""
    if value is None:
        return "null"
    return _JSON_TYPES.get(type(value), type(value).__name__)


_JSON_TYPES: Final = {
    dict: "object",
    list: "array",
    str: "string",
    int: "number",
    float: "number",
    bool: "boolean",
}


def ensure_object(value: Any, what: str = "the body") -> dict[str, Any]:
    """A decoded JSON object, or ServiceValidationError naming what came instead."""
    if not isinstance(value, dict):
        raise ServiceValidationError(f"{what} must be a JSON object, not {json_type(value)}")
    return value


def async_register_route(hub: Hub, method: str, path: str, handler: Handler) -> None:
    """Serve an integration's route on the hub's web app (a no-op when there is none).

    Routes are added during setup: the server freezes its router when it starts, so a
    late caller gets a HubError naming the route rather than aiohttp's RuntimeError.
    Paths under `/api/` need the bearer token like every other API route.
    """
    app = hub.http
    if app is None:
        return
    if app.frozen:
        raise HubError(f"route {method} {path} must be registered during setup")
    app.router.add_route(method, path, handler)


def user_names(request: web.Request) -> dict[str, str]:
    """User id -> name, so a context's `user_id` can be shown as the person it is."""
    from .access import ACCESS_KEY  # access imports this module

    access = request.app.get(ACCESS_KEY)
    if access is None:
        return {}
    return {user.id: user.name for user in access.users.all()}
