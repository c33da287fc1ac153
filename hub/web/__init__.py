"""The web server and its APIs: REST and WebSocket, shaped like Home Assistant's."""

from __future__ import annotations

from .app import HUB_KEY, WebServerError, async_serve, async_start_web, bind_socket, create_app
from .auth import TokenInfo, TokenStore, create_token
from .helpers import async_register_route, json_error, json_response

__all__ = [
    "HUB_KEY",
    "TokenInfo",
    "TokenStore",
    "WebServerError",
    "async_register_route",
    "async_serve",
    "async_start_web",
    "bind_socket",
    "create_app",
    "create_token",
    "json_error",
    "json_response",
]
