"""Tokens owned by users, listed and revoked; revoking closes open WebSockets (finding 9)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from hub.core.hub import Hub
from hub.web.auth import remove_user_tokens, revoke_token
from hub.web.users import remove_user, set_password

from .accounts import async_add_user, async_login, bearer
from .conftest import AiohttpClient, connect_ws

Client = TestClient[Any, Any]
CLOSE_WITHIN = 5.0


@pytest.fixture
async def client(hub: Hub, app: web.Application, aiohttp_client: AiohttpClient) -> Client:
    return await aiohttp_client(app)


async def _closed_within(socket: aiohttp.ClientWebSocketResponse, seconds: float) -> float:
    """Seconds until the hub closed the socket; fails if it did not within `seconds`."""
    started = time.monotonic()
    message = await socket.receive(timeout=seconds)
    assert message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED), message
    return time.monotonic() - started


async def _token_id(client: Client, token: str, name: str) -> str:
    listing = await (await client.get("/api/auth/tokens", headers=bearer(token))).json()
    return str(next(item["id"] for item in listing["tokens"] if item["name"] == name))


async def test_users_list_and_revoke_their_own_tokens_only(hub: Hub, client: Client) -> None:
    admin = await async_add_user(hub.data_dir, "ada", "admin")
    rita = await async_add_user(hub.data_dir, "rita", "resident")
    ralf = await async_add_user(hub.data_dir, "ralf", "resident")

    mine = await (await client.get("/api/auth/tokens", headers=bearer(rita))).json()
    assert [(item["name"], item["user"], item["role"]) for item in mine["tokens"]] == [
        ("rita's token", "rita", "resident")
    ]
    assert "hash" not in mine["tokens"][0]
    everyone = await (await client.get("/api/auth/tokens", headers=bearer(admin))).json()
    assert len(everyone["tokens"]) == 3

    ralfs = await _token_id(client, ralf, "ralf's token")
    refused = await client.delete(f"/api/auth/tokens/{ralfs}", headers=bearer(rita))
    assert refused.status == 404
    own = await _token_id(client, rita, "rita's token")
    assert (await client.delete(f"/api/auth/tokens/{own}", headers=bearer(rita))).status == 200
    assert (await client.get("/api/", headers=bearer(rita))).status == 401
    assert (await client.delete(f"/api/auth/tokens/{ralfs}", headers=bearer(admin))).status == 200
    assert (await client.get("/api/", headers=bearer(ralf))).status == 401


async def test_finding_9_revoking_a_token_closes_its_websocket(hub: Hub, client: Client) -> None:
    """Finding 9: a deleted token stopped REST, but an open WebSocket kept working."""
    admin = await async_add_user(hub.data_dir, "ada", "admin")
    token = await async_add_user(hub.data_dir, "olga", "operator")
    ws = await connect_ws(client, token)
    token_id = await _token_id(client, token, "olga's token")

    response = await client.delete(f"/api/auth/tokens/{token_id}", headers=bearer(admin))
    assert response.status == 200
    assert await _closed_within(ws.ws, CLOSE_WITHIN) < CLOSE_WITHIN


async def test_finding_9_a_token_revoked_by_the_cli_closes_its_websocket(
    hub: Hub, client: Client
) -> None:
    token = await async_add_user(hub.data_dir, "olga", "operator")
    ws = await connect_ws(client, token)
    token_id = await _token_id(client, token, "olga's token")

    await asyncio.to_thread(revoke_token, hub.data_dir, token_id)  # `parkhub token revoke`
    assert await _closed_within(ws.ws, CLOSE_WITHIN) < CLOSE_WITHIN


async def test_finding_9_removing_a_user_closes_their_websockets(hub: Hub, client: Client) -> None:
    """`parkhub user remove` while the hub runs: the user's token and cookie sockets close."""
    token = await async_add_user(hub.data_dir, "olga", "operator")
    by_token = await connect_ws(client, token)
    await async_login(client, "olga")
    by_cookie = await client.ws_connect("/api/websocket")
    await by_cookie.receive_json()
    await by_cookie.send_json({"type": "auth"})
    assert (await by_cookie.receive_json())["type"] == "auth_ok"

    def cli_remove() -> None:
        user = remove_user(hub.data_dir, "olga")
        remove_user_tokens(hub.data_dir, user.id)

    await asyncio.to_thread(cli_remove)
    assert await _closed_within(by_token.ws, CLOSE_WITHIN) < CLOSE_WITHIN
    assert await _closed_within(by_cookie, CLOSE_WITHIN) < CLOSE_WITHIN
    assert (await client.get("/auth/session")).status == 401


async def test_admin_manages_users_and_vehicles_over_rest(hub: Hub, client: Client) -> None:
    admin = bearer(await async_add_user(hub.data_dir, "ada", "admin"))
    operator = bearer(await async_add_user(hub.data_dir, "olga", "operator"))

    added = await client.post(
        "/api/users",
        json={"name": "rita", "role": "resident", "password": "a long password"},
        headers=admin,
    )
    assert added.status == 201
    assert (await added.json())["role"] == "resident"
    refused = await client.post(
        "/api/users", json={"name": "x", "role": "admin", "password": "a long password"},
        headers=operator,
    )  # fmt: skip
    assert refused.status == 403

    put = await client.put(
        "/api/users/rita/vehicles", json={"vehicles": ["ka-01 ab 1234", "KA01AB1234", "nl42res"]},
        headers=operator,
    )  # fmt: skip
    assert put.status == 200
    assert (await put.json())["vehicles"] == ["KA01AB1234", "NL42RES"]
    bad = await client.put("/api/users/rita/vehicles", json={"vehicles": ["--"]}, headers=operator)
    assert bad.status == 400
    assert "vehicles[0]" in (await bad.json())["error"]
    # The shared plate check (hub/validation.py), as parking's services apply it: 16 at most.
    for plates, index in ((["KA01", "K" * 17], 1), (["K" * 10_000], 0)):
        bad = await client.put(
            "/api/users/rita/vehicles", json={"vehicles": plates}, headers=operator
        )
        assert bad.status == 400
        error = (await bad.json())["error"]
        assert error.startswith(f"vehicles[{index}]: expected a plate of at most 16 letters"), error
    assert (await client.get("/api/users/rita/vehicles", headers=operator)).status == 200

    removed = await client.delete("/api/users/rita", headers=admin)
    assert removed.status == 200
    listing = await (await client.get("/api/users", headers=admin)).json()
    assert sorted(user["name"] for user in listing["users"]) == ["ada", "olga"]


async def test_a_password_set_by_the_cli_ends_the_users_sessions(hub: Hub, client: Client) -> None:
    await async_add_user(hub.data_dir, "olga", "operator")
    await async_login(client, "olga")
    socket = await client.ws_connect("/api/websocket")
    await socket.receive_json()
    await socket.send_json({"type": "auth"})
    assert (await socket.receive_json())["type"] == "auth_ok"

    await asyncio.to_thread(set_password, hub.data_dir, "olga", "a changed password")
    assert await _closed_within(socket, CLOSE_WITHIN) < CLOSE_WITHIN
    assert (await client.get("/auth/session")).status == 401
