"""Helpers for the access tests: users with passwords, their tokens, signed-in clients."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient

from hub.web.auth import create_token
from hub.web.users import add_user, update_user

PASSWORD = "correct horse battery"
AiohttpClient = Any


async def async_add_user(
    data_dir: Path, name: str, role: str, vehicles: list[str] | None = None
) -> str:
    """Add a user (password PASSWORD) and return a token that acts for them."""
    await asyncio.to_thread(add_user, data_dir, name, role, PASSWORD)
    if vehicles:
        await asyncio.to_thread(update_user, data_dir, name, vehicles=vehicles)
    return await asyncio.to_thread(create_token, data_dir, f"{name}'s token", "admin", name)


async def async_login(client: TestClient[Any, Any], name: str) -> str:
    """Sign `client` in (its cookie jar keeps the session); returns the CSRF token."""
    response = await client.post("/auth/login", json={"username": name, "password": PASSWORD})
    assert response.status == 200, await response.text()
    body = await response.json()
    csrf: str = body["csrf_token"]
    return csrf


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
