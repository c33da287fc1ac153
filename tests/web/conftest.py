"""Fixtures for the web tests: a token, a REST client and a WebSocket client on the real app.

Layered like HA's `hass_client` / `hass_ws_client`: `token` → `app` → `api_client`
(headers set) and `ws_client` (handshake done, `send_command` / `receive_result`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from hub.core.hub import Hub
from hub.core.json import json_loads
from hub.web import create_app, create_token
from hub.web.auth import AUTH_FILE

AiohttpClient = Callable[..., Awaitable[TestClient[Any, Any]]]
RECEIVE_TIMEOUT = 5.0


def stored_tokens(data_dir: Path) -> list[dict[str, Any]]:
    """The token records in auth.json, as the CLI left them."""
    tokens: list[dict[str, Any]] = json_loads((data_dir / AUTH_FILE).read_bytes())["tokens"]
    return tokens


@pytest.fixture
def token(hub: Hub) -> str:
    """An admin token, stored in the hub's data folder before the app starts."""
    return create_token(hub.data_dir, "test admin")


@pytest.fixture
def auth_header(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def app(hub: Hub) -> web.Application:
    return create_app(hub)


@pytest.fixture
async def raw_client(
    hub: Hub, app: web.Application, aiohttp_client: AiohttpClient
) -> TestClient[Any, Any]:
    """A client on the app with no credentials (for the 401 paths)."""
    return await aiohttp_client(app)


@pytest.fixture
async def api_client(
    hub: Hub, app: web.Application, aiohttp_client: AiohttpClient, auth_header: dict[str, str]
) -> TestClient[Any, Any]:
    """A client on the app that sends the admin token with every request."""
    return await aiohttp_client(app, headers=auth_header)


class WSClient:
    """A WebSocket client past the handshake, numbering its commands like a frontend."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self._next_id = 0

    async def send_command(self, **message: Any) -> int:
        """Send a command with the next id and return that id."""
        self._next_id += 1
        await self.ws.send_json({"id": self._next_id, **message})
        return self._next_id

    async def send_json(self, message: Any) -> None:
        await self.ws.send_json(message)

    async def receive_json(self) -> Any:
        return await self.ws.receive_json(timeout=RECEIVE_TIMEOUT)

    async def receive_result(self, msg_id: int) -> dict[str, Any]:
        """The result message for `msg_id`; anything else first fails the test."""
        message: dict[str, Any] = await self.receive_json()
        assert message["id"] == msg_id, message
        assert message["type"] == "result", message
        return message

    async def close(self) -> None:
        await self.ws.close()


async def connect_ws(client: TestClient[Any, Any], access_token: str) -> WSClient:
    ws = await client.ws_connect("/api/websocket")
    assert (await ws.receive_json(timeout=RECEIVE_TIMEOUT))["type"] == "auth_required"
    await ws.send_json({"type": "auth", "access_token": access_token})
    reply = await ws.receive_json(timeout=RECEIVE_TIMEOUT)
    assert reply["type"] == "auth_ok", reply
    return WSClient(ws)


@pytest.fixture
async def ws_client(raw_client: TestClient[Any, Any], token: str) -> AsyncIterator[WSClient]:
    client = await connect_ws(raw_client, token)
    yield client
    await client.close()
