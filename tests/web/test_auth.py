"""Tokens: stored hashed and private, created while the hub runs, revoked by removal."""

from __future__ import annotations

import asyncio
import json
import stat
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from hub.core.exceptions import HubError
from hub.core.hub import Hub
from hub.web import auth
from hub.web.auth import AUTH_FILE, AuthFileError, TokenInfo, TokenStore, create_token, hash_token

from .conftest import stored_tokens


def test_create_token_stores_only_a_hash_in_a_private_file(tmp_path: Path) -> None:
    token = create_token(tmp_path, "panel", role="operator")

    path = tmp_path / AUTH_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert token not in path.read_text()
    [entry] = stored_tokens(tmp_path)
    assert entry["hash"] == hash_token(token)
    assert entry["name"] == "panel"
    assert entry["role"] == "operator"
    assert set(entry) == {"id", "name", "role", "created", "hash"}
    assert len(token) >= 40  # 32 random bytes, base64url
    assert [p.name for p in tmp_path.iterdir()] == [AUTH_FILE]  # no temp file left


def test_create_token_appends(tmp_path: Path) -> None:
    first = create_token(tmp_path, "one")
    second = create_token(tmp_path, "two")

    assert first != second
    assert [entry["name"] for entry in stored_tokens(tmp_path)] == ["one", "two"]


@pytest.mark.parametrize(
    ("name", "role", "message"),
    [("", "admin", "a token needs a name"), ("x", "root", "unknown role 'root'")],
)
def test_create_token_refuses_bad_input(tmp_path: Path, name: str, role: str, message: str) -> None:
    with pytest.raises(HubError, match=message):
        create_token(tmp_path, name, role)
    assert not (tmp_path / AUTH_FILE).exists()


def test_create_token_never_overwrites_a_broken_file(tmp_path: Path) -> None:
    (tmp_path / AUTH_FILE).write_text("{not json")

    with pytest.raises(AuthFileError, match="not valid JSON"):
        create_token(tmp_path, "x")
    assert (tmp_path / AUTH_FILE).read_text() == "{not json"


async def test_store_validates_known_tokens_only(hub: Hub) -> None:
    token = await asyncio.to_thread(create_token, hub.data_dir, "panel", "resident")
    store = TokenStore(hub.data_dir, hub.async_add_executor_job)
    await store.async_load()

    token_id = (await asyncio.to_thread(stored_tokens, hub.data_dir))[0]["id"]
    assert await store.async_validate(token) == TokenInfo(token_id, "panel", "resident", token_id)
    assert await store.async_validate(token + "x") is None
    assert await store.async_validate("") is None


async def test_store_without_a_file_accepts_nothing(tmp_path: Path) -> None:
    store = TokenStore(tmp_path)
    await store.async_load()

    assert len(store) == 0
    assert await store.async_validate("anything") is None


async def test_store_picks_up_a_token_created_later(tmp_path: Path) -> None:
    store = TokenStore(tmp_path)
    await store.async_load()

    token = await asyncio.to_thread(create_token, tmp_path, "late")

    info = await store.async_validate(token)
    assert info is not None
    assert info.name == "late"


async def test_store_forgets_a_removed_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(auth, "RECHECK_INTERVAL", 0.0)
    token = await asyncio.to_thread(create_token, tmp_path, "gone")
    store = TokenStore(tmp_path)
    await store.async_load()
    assert await store.async_validate(token) is not None

    await asyncio.to_thread(
        (tmp_path / AUTH_FILE).write_text, json.dumps({"version": 1, "tokens": []})
    )

    assert await store.async_validate(token) is None


async def test_store_survives_a_broken_file(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    await asyncio.to_thread((tmp_path / AUTH_FILE).write_text, '{"tokens": 3}')
    store = TokenStore(tmp_path)

    await store.async_load()

    assert len(store) == 0
    assert "has no list of tokens" in caplog.text


async def test_api_accepts_a_token_created_while_running(
    hub: Hub, api_client: TestClient[Any, Any]
) -> None:
    assert (await api_client.get("/api/")).status == 200
    late = await asyncio.to_thread(create_token, hub.data_dir, "created by the CLI")

    response = await api_client.get("/api/", headers={"Authorization": f"Bearer {late}"})

    assert response.status == 200
    assert (await response.json())["message"] == "API running."
