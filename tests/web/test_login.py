"""Panel sign-in: login cookie, session, CSRF, logout, onboarding, rate limiting."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from hub.core.hub import Hub
from hub.web import create_app
from hub.web.access import ACCESS_KEY
from hub.web.sessions import COOKIE_NAME, SESSIONS_FILE, LoginLimiter
from hub.web.users import list_users, set_password

from .accounts import PASSWORD, async_add_user, async_login
from .conftest import AiohttpClient, connect_ws

Client = TestClient[Any, Any]


@pytest.fixture
async def client(hub: Hub, app: web.Application, aiohttp_client: AiohttpClient) -> Client:
    await async_add_user(hub.data_dir, "olga", "operator")
    await async_add_user(hub.data_dir, "rita", "resident", ["KA-01 AB 1234"])
    return await aiohttp_client(app)


async def test_login_sets_a_strict_httponly_cookie_and_returns_the_role(client: Client) -> None:
    response = await client.post("/auth/login", json={"username": "olga", "password": PASSWORD})

    assert response.status == 200
    body = await response.json()
    assert body["user"] == "olga"
    assert body["role"] == "operator"
    cookie = response.cookies[COOKIE_NAME]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Strict"
    assert not cookie["secure"]  # plain HTTP here; set when served over HTTPS
    session = await (await client.get("/auth/session")).json()
    assert session["user"] == "olga"
    assert session["role"] == "operator"
    assert session["csrf_token"] == body["csrf_token"]


async def test_wrong_password_is_401_and_says_nothing_about_the_name(client: Client) -> None:
    wrong = await client.post("/auth/login", json={"username": "olga", "password": "nope nope"})
    unknown = await client.post("/auth/login", json={"username": "ghost", "password": "nope1234"})

    assert wrong.status == unknown.status == 401
    assert await wrong.json() == await unknown.json() == {"error": "wrong user name or password"}
    assert (await client.get("/auth/session")).status == 401


async def test_login_body_errors_name_the_field(client: Client) -> None:
    response = await client.post("/auth/login", json={"username": "olga"})

    assert response.status == 400
    assert "password" in (await response.json())["error"]
    # What a cross-site form could send is refused (login CSRF).
    form = await client.post("/auth/login", data={"username": "olga", "password": PASSWORD})
    assert form.status == 415
    assert "application/json" in (await form.json())["error"]


async def test_cookie_requests_that_change_something_need_the_csrf_header(
    hub: Hub, client: Client
) -> None:
    csrf = await async_login(client, "olga")
    hub.states.async_set("gate.entry", "closed")

    # Reading needs no CSRF token.
    assert (await client.get("/api/states/gate.entry")).status == 200
    # A change without it (what a forged cross-site form would send) is refused.
    refused = await client.post("/api/services/input_boolean/turn_on", json={})
    assert refused.status == 403
    assert "X-CSRF-Token" in (await refused.json())["error"]
    wrong = await client.post(
        "/api/events/shift_started", json={}, headers={"X-CSRF-Token": "guess"}
    )
    assert wrong.status == 403
    fired = await client.post("/api/events/shift_started", json={}, headers={"X-CSRF-Token": csrf})
    assert fired.status == 200


async def test_logout_ends_the_session(client: Client) -> None:
    csrf = await async_login(client, "rita")

    assert (await client.post("/auth/logout")).status == 403  # CSRF here too
    response = await client.post("/auth/logout", headers={"X-CSRF-Token": csrf})
    assert response.status == 200
    assert (await client.get("/auth/session")).status == 401
    assert (await client.get("/api/states")).status == 401


async def test_websocket_accepts_the_session_cookie(hub: Hub, client: Client) -> None:
    await async_login(client, "olga")

    ws = await client.ws_connect("/api/websocket")
    assert (await ws.receive_json())["type"] == "auth_required"
    await ws.send_json({"type": "auth"})
    assert (await ws.receive_json())["type"] == "auth_ok"
    await ws.send_json({"id": 1, "type": "ping"})
    assert (await ws.receive_json())["type"] == "pong"
    await ws.close()


async def test_websocket_refuses_the_cookie_from_another_site(client: Client) -> None:
    await async_login(client, "olga")

    ws = await client.ws_connect("/api/websocket", headers={"Origin": "https://evil.example"})
    await ws.receive_json()
    await ws.send_json({"type": "auth"})
    assert (await ws.receive_json())["type"] == "auth_invalid"
    await ws.close()


async def test_password_change(hub: Hub, client: Client) -> None:
    csrf = await async_login(client, "rita")

    wrong = await client.post(
        "/auth/password",
        json={"current_password": "not it!!", "new_password": "a new password"},
        headers={"X-CSRF-Token": csrf},
    )
    assert wrong.status == 403
    changed = await client.post(
        "/auth/password",
        json={"current_password": PASSWORD, "new_password": "a new password"},
        headers={"X-CSRF-Token": csrf},
    )
    assert changed.status == 200
    assert (await client.get("/auth/session")).status == 200  # this session stays
    old = await client.post("/auth/login", json={"username": "rita", "password": PASSWORD})
    assert old.status == 401
    new = await client.post("/auth/login", json={"username": "rita", "password": "a new password"})
    assert new.status == 200


async def _signed_in_cookie(client: Client, name: str) -> tuple[str, str]:
    """Sign `name` in; their cookie value and CSRF token (the jar is emptied again)."""
    response = await client.post("/auth/login", json={"username": name, "password": PASSWORD})
    assert response.status == 200
    client.session.cookie_jar.clear()
    return response.cookies[COOKIE_NAME].value, (await response.json())["csrf_token"]


async def test_sessions_outlive_a_restart_but_not_a_logout_or_a_password_change(
    hub: Hub, app: web.Application, aiohttp_client: AiohttpClient
) -> None:
    """An update or a power cut must not sign every phone out; what ended before the
    restart stays ended, and the file on disk cannot sign anyone in."""
    await async_add_user(hub.data_dir, "olga", "operator")
    await async_add_user(hub.data_dir, "rita", "resident")
    await async_add_user(hub.data_dir, "omar", "operator")
    before = await aiohttp_client(app)
    olga, olga_csrf = await _signed_in_cookie(before, "olga")
    rita, rita_csrf = await _signed_in_cookie(before, "rita")
    omar, _csrf = await _signed_in_cookie(before, "omar")
    logout = await before.post(
        "/auth/logout", headers={"Cookie": f"{COOKIE_NAME}={rita}", "X-CSRF-Token": rita_csrf}
    )
    assert logout.status == 200
    await before.close()
    # While the hub is down, omar's password is changed with the CLI.
    await asyncio.to_thread(set_password, hub.data_dir, "omar", "changed while down")
    stored = await asyncio.to_thread((hub.data_dir / SESSIONS_FILE).read_text)
    assert not any(cookie in stored for cookie in (olga, rita, omar))

    after = await aiohttp_client(create_app(hub))
    session = await after.get("/auth/session", headers={"Cookie": f"{COOKIE_NAME}={olga}"})
    assert session.status == 200
    assert (await session.json())["csrf_token"] == olga_csrf  # the open tab's token still works
    for ended in (rita, omar):
        refused = await after.get("/auth/session", headers={"Cookie": f"{COOKIE_NAME}={ended}"})
        assert refused.status == 401
        assert "log in again" in (await refused.json())["error"]


async def test_an_unreadable_sessions_file_signs_everyone_out_and_the_hub_runs(
    hub: Hub, app: web.Application, aiohttp_client: AiohttpClient, caplog: pytest.LogCaptureFixture
) -> None:
    await async_add_user(hub.data_dir, "olga", "operator")
    await asyncio.to_thread((hub.data_dir / SESSIONS_FILE).write_text, '{"sessions": [{"id": ')
    client = await aiohttp_client(app)

    assert "Login sessions not restored" in caplog.text
    assert SESSIONS_FILE in caplog.text
    assert (await client.get("/auth/session", headers={"Cookie": f"{COOKIE_NAME}=x"})).status == 401
    await async_login(client, "olga")  # and signing in works, writing a good file again
    assert (await client.get("/auth/session")).status == 200
    stored = await asyncio.to_thread((hub.data_dir / SESSIONS_FILE).read_text)
    assert stored.startswith('{"sessions":[{"id":')


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_failed_logins_are_rate_limited_growing_but_never_for_good(
    app: web.Application, client: Client
) -> None:
    clock = FakeClock()
    app[ACCESS_KEY].limiter = LoginLimiter(clock)
    bad = {"username": "olga", "password": "wrong password"}

    for _ in range(4):
        assert (await client.post("/auth/login", json=bad)).status == 401
    fifth = await client.post("/auth/login", json=bad)
    assert fifth.status == 429
    assert fifth.headers["Retry-After"] == "60"
    # Blocked: even the right password waits (for this address and this user).
    good = {"username": "olga", "password": PASSWORD}
    blocked = await client.post("/auth/login", json=good)
    assert blocked.status == 429
    assert 0 < int(blocked.headers["Retry-After"]) <= 60

    clock.now += 61
    for _ in range(4):
        assert (await client.post("/auth/login", json=bad)).status == 401
    again = await client.post("/auth/login", json=bad)
    assert again.headers["Retry-After"] == "120"  # growing

    clock.now += 121
    assert (await client.post("/auth/login", json=good)).status == 200  # never for good


async def test_onboarding_makes_the_first_admin_once(
    hub: Hub, app: web.Application, aiohttp_client: AiohttpClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        client = await aiohttp_client(app)
    [line] = [r.getMessage() for r in caplog.records if "Onboarding code" in r.getMessage()]
    code = line.split("Onboarding code: ")[1].split()[0]
    assert (await (await client.get("/api/onboarding")).json()) == {"needed": True}

    wrong = await client.post(
        "/api/onboarding", json={"code": "0000-0000-0000", "username": "me", "password": PASSWORD}
    )
    assert wrong.status == 403
    assert "code" in (await wrong.json())["error"]
    done = await client.post(
        "/api/onboarding", json={"code": code, "username": "me", "password": PASSWORD}
    )
    assert done.status == 200
    body = await done.json()
    assert (body["user"], body["role"]) == ("me", "admin")
    assert body["csrf_token"]
    assert (await client.get("/api/states")).status == 200  # signed in as the new admin
    users = await asyncio.to_thread(list_users, hub.data_dir)
    assert [(user.name, user.role) for user in users] == [("me", "admin")]

    again = await client.post(
        "/api/onboarding", json={"code": code, "username": "me2", "password": PASSWORD}
    )
    assert again.status == 409
    assert (await (await client.get("/api/onboarding")).json()) == {"needed": False}


async def test_tokens_of_a_user_carry_the_users_role(hub: Hub, client: Client) -> None:
    token = await async_add_user(hub.data_dir, "anna", "resident")

    ws = await connect_ws(client, token)
    msg_id = await ws.send_command(type="call_service", domain="gate", service="open")
    result = await ws.receive_result(msg_id)
    assert result["success"] is False
    assert result["error"]["code"] == "unauthorized"
    await ws.close()
