"""The application: every error is JSON, the API needs a token, the server starts and stops."""

from __future__ import annotations

import asyncio
import socket
from typing import Any, NoReturn

import aiohttp
import pytest
from aiohttp import WSMsgType, web
from aiohttp.test_utils import TestClient

from hub.core.exceptions import HubError, Unauthorized
from hub.core.hub import Hub
from hub.web import (
    WebServerError,
    async_register_route,
    async_serve,
    async_start_web,
    bind_socket,
    create_app,
    json_response,
)
from tests.conftest import LogGuard
from tests.web.conftest import AiohttpClient


async def test_api_status(api_client: TestClient[Any, Any]) -> None:
    response = await api_client.get("/api/")

    assert response.status == 200
    assert response.content_type == "application/json"
    assert await response.json() == {
        "message": "API running.",
        "version": "0.1.0",
        "name": "ParkHub",
    }


@pytest.mark.parametrize(
    ("headers", "error"),
    [
        ({}, "missing bearer token (Authorization: Bearer <token>)"),
        (
            {"Authorization": "Basic dXNlcjpwYXNz"},
            "missing bearer token (Authorization: Bearer <token>)",
        ),
        ({"Authorization": "Bearer "}, "missing bearer token (Authorization: Bearer <token>)"),
        ({"Authorization": "Bearer not-a-token"}, "invalid access token"),
    ],
)
async def test_api_needs_a_valid_token(
    raw_client: TestClient[Any, Any], headers: dict[str, str], error: str
) -> None:
    for method, path in (("GET", "/api/"), ("GET", "/api/states"), ("POST", "/api/events/x")):
        response = await raw_client.request(method, path, headers=headers)

        assert response.status == 401
        assert response.headers["WWW-Authenticate"] == "Bearer"
        assert await response.json() == {"error": error}


async def test_bearer_scheme_is_case_insensitive(
    raw_client: TestClient[Any, Any], token: str
) -> None:
    response = await raw_client.get("/api/", headers={"Authorization": f"bearer {token}"})

    assert response.status == 200


async def test_unknown_route_is_a_json_404(api_client: TestClient[Any, Any]) -> None:
    for path in ("/api/nothing", "/nothing"):
        response = await api_client.get(path)

        assert response.status == 404
        assert await response.json() == {"error": f"not found: {path}"}


async def test_unknown_api_route_without_token_is_401(raw_client: TestClient[Any, Any]) -> None:
    response = await raw_client.get("/api/nothing")

    assert response.status == 401


async def test_wrong_method_is_a_json_405(api_client: TestClient[Any, Any]) -> None:
    response = await api_client.delete("/api/states")

    assert response.status == 405
    assert response.headers["Allow"] == "GET,HEAD"
    assert await response.json() == {
        "error": "method DELETE is not allowed on /api/states (allowed: GET, HEAD)"
    }


async def test_too_large_body_is_a_json_413(api_client: TestClient[Any, Any]) -> None:
    response = await api_client.post("/api/events/big", data=b"x" * (1024 * 1024 + 1))

    assert response.status == 413
    assert "Maximum request body size" in (await response.json())["error"]


@pytest.fixture
async def error_client(
    hub: Hub, app: web.Application, aiohttp_client: AiohttpClient, auth_header: dict[str, str]
) -> TestClient[Any, Any]:
    """The app plus routes that raise, to see what the error middleware answers."""

    async def forbidden(request: web.Request) -> NoReturn:
        raise Unauthorized("only an admin may do that")

    async def hub_error(request: web.Request) -> NoReturn:
        raise HubError("the gate is offline")

    async def bug(request: web.Request) -> NoReturn:
        raise RuntimeError("a bug")

    app.router.add_get("/api/test/forbidden", forbidden)
    app.router.add_get("/api/test/hub_error", hub_error)
    app.router.add_get("/api/test/bug", bug)
    return await aiohttp_client(app, headers=auth_header)


async def test_unauthorized_is_403(error_client: TestClient[Any, Any]) -> None:
    response = await error_client.get("/api/test/forbidden")

    assert response.status == 403
    assert await response.json() == {"error": "only an admin may do that"}


async def test_hub_error_is_400(error_client: TestClient[Any, Any]) -> None:
    response = await error_client.get("/api/test/hub_error")

    assert response.status == 400
    assert await response.json() == {"error": "the gate is offline"}


async def test_a_bug_is_a_logged_500(
    error_client: TestClient[Any, Any], log_guard: LogGuard
) -> None:
    log_guard.allowed = True

    response = await error_client.get("/api/test/bug")

    assert response.status == 500
    assert await response.json() == {"error": "internal error"}
    [record] = log_guard.records
    assert record.getMessage() == "Error handling GET /api/test/bug"
    assert record.exc_info is not None


# -- the real server -----------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def test_server_serves_and_closes_websockets_on_stop(hub: Hub, token: str) -> None:
    port = _free_port()
    await async_start_web(hub, "127.0.0.1", port)
    base = f"http://127.0.0.1:{port}"
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {token}"}) as session:
        async with session.get(f"{base}/api/") as response:
            assert response.status == 200
            assert (await response.json())["message"] == "API running."
        ws = await session.ws_connect(f"{base}/api/websocket")
        assert (await ws.receive_json())["type"] == "auth_required"

        await asyncio.wait_for(hub.async_stop(), 5)

        message = await ws.receive(timeout=5)
        assert message.type is WSMsgType.CLOSE
        assert message.extra == "hub stopping"
        with pytest.raises(aiohttp.ClientConnectionError):
            await session.get(f"{base}/api/")


async def test_port_in_use_is_a_clear_error(hub: Hub) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        with pytest.raises(WebServerError, match=f"port {port} is in use"):
            await async_start_web(hub, "127.0.0.1", port)


async def test_websocket_route_without_upgrade_is_a_json_400(
    raw_client: TestClient[Any, Any],
) -> None:
    response = await raw_client.get("/api/websocket")

    assert response.status == 400
    assert "WebSocket" in (await response.json())["error"]


async def test_integration_routes_are_served_and_late_ones_refused(hub: Hub, token: str) -> None:
    async def hello(request: web.Request) -> web.Response:
        return json_response({"hello": request.match_info["name"]})

    app = create_app(hub)
    async_register_route(hub, "GET", "/api/hello/{name}", hello)
    port = _free_port()
    await async_serve(hub, app, bind_socket("127.0.0.1", port))

    headers = {"Authorization": f"Bearer {token}"}
    async with (
        aiohttp.ClientSession(headers=headers) as session,
        session.get(f"http://127.0.0.1:{port}/api/hello/lot") as response,
    ):
        assert response.status == 200
        assert await response.json() == {"hello": "lot"}
    with pytest.raises(HubError, match="GET /api/late must be registered during setup"):
        async_register_route(hub, "GET", "/api/late", hello)
