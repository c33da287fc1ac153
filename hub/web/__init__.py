"""The web server and its APIs: REST and WebSocket, shaped like Home Assistant's."""

from __future__ import annotations

from .app import HUB_KEY, WebServerError, async_start_web, create_app
from .auth import TokenInfo, TokenStore, create_token

__all__ = [
    "HUB_KEY",
    "TokenInfo",
    "TokenStore",
    "WebServerError",
    "async_start_web",
    "create_app",
    "create_token",
]
