"""The audit log: who changed what, from where, with what result; admin-only; purged;
in audit.db or on PostgreSQL (`hub: audit_db_url:`)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from hub.config import HubConfig
from hub.core.hub import Hub
from hub.core.services import ServiceCall
from hub.web.access import ACCESS_KEY
from hub.web.audit import record_cli
from tests.conftest import Clock

from .accounts import async_add_user, async_login, bearer
from .conftest import AiohttpClient, connect_ws

Client = TestClient[Any, Any]


@pytest.fixture
def hub_config(db_url: str | None) -> HubConfig:
    """Every test here runs with audit.db and with the log on PostgreSQL."""
    return HubConfig(audit_days=30, audit_db_url=db_url)


@pytest.fixture
async def client(hub: Hub, app: web.Application, aiohttp_client: AiohttpClient) -> Client:
    calls: list[ServiceCall] = []
    hub.services.async_register("gate", "open", calls.append)
    return await aiohttp_client(app)


async def _entries(client: Client, admin: dict[str, str], **query: str) -> list[dict[str, Any]]:
    response = await client.get("/api/audit", params=query, headers=admin)
    assert response.status == 200, await response.text()
    entries: list[dict[str, Any]] = (await response.json())["entries"]
    return entries


async def test_gate_commands_logins_and_token_changes_are_audited(hub: Hub, client: Client) -> None:
    admin = bearer(await async_add_user(hub.data_dir, "ada", "admin"))
    operator_token = await async_add_user(hub.data_dir, "olga", "operator")
    resident = bearer(await async_add_user(hub.data_dir, "rita", "resident"))

    opened = await client.post(
        "/api/services/gate/open", json={"entity_id": "gate.entry"}, headers=bearer(operator_token)
    )
    assert opened.status == 200
    refused = await client.post(
        "/api/services/gate/open", json={"entity_id": "gate.entry"}, headers=resident
    )
    assert refused.status == 403
    ws = await connect_ws(client, operator_token)
    msg_id = await ws.send_command(
        type="call_service", domain="gate", service="open", target={"entity_id": "gate.exit"}
    )
    result = await ws.receive_result(msg_id)
    await ws.close()
    bad = await client.post("/auth/login", json={"username": "olga", "password": "not it!!"})
    assert bad.status == 401
    await async_login(client, "olga")

    entries = await _entries(client, admin)
    by_action = [(e["user"], e["role"], e["action"], e["target"], e["result"]) for e in entries]
    assert ("olga", "operator", "gate.open", "entity_id=gate.entry", "200") in by_action
    denied = next(e for e in entries if e["user"] == "rita")
    assert denied["result"].startswith("403")
    over_ws = next(e for e in entries if e["action"] == "ws gate.open")
    assert (over_ws["user"], over_ws["target"], over_ws["result"]) == (
        "olga",
        "entity_id=gate.exit",
        "ok",
    )
    assert over_ws["context_id"] == result["result"]["context"]["id"]
    assert over_ws["address"] == "127.0.0.1"
    logins = [(e["action"], e["target"], e["result"]) for e in entries if e["action"] == "login"]
    assert logins == [("login", "olga", "ok"), ("login", "olga", "denied")]  # newest first
    rest_open = next(e for e in entries if e["action"] == "gate.open" and e["user"] == "olga")
    assert rest_open["context_id"]

    # Only admins read it.
    assert (await client.get("/api/audit", headers=bearer(operator_token))).status == 403
    only_rita = await _entries(client, admin, user="rita")
    assert {e["user"] for e in only_rita} == {"rita"}


async def test_cli_changes_are_audited(hub: Hub, client: Client) -> None:
    admin = bearer(await async_add_user(hub.data_dir, "ada", "admin"))
    await asyncio.to_thread(
        record_cli, hub.data_dir, "user.add", "rita (resident)", config=hub.config
    )

    entries = await _entries(client, admin)
    assert [(e["user"], e["action"], e["target"]) for e in entries] == [
        ("cli", "user.add", "rita (resident)")
    ]


async def test_rows_older_than_audit_days_are_purged_daily(
    hub: Hub, clock: Clock, app: web.Application, client: Client
) -> None:
    admin = bearer(await async_add_user(hub.data_dir, "ada", "admin"))
    audit = app[ACCESS_KEY].audit
    assert audit is not None
    audit.record(None, "127.0.0.1", "gate.open", "entity_id=gate.entry", "200")
    await clock.advance(days=29)
    audit.record(None, "127.0.0.1", "gate.close", "entity_id=gate.entry", "200")
    await audit.async_flush()

    await clock.advance(days=2)  # `audit_days: 30`; the purge runs daily
    await hub.async_block_till_done()
    assert [e["action"] for e in await _entries(client, admin)] == ["gate.close"]


async def test_every_barrier_command_is_audited_with_who_caused_it(
    hub: Hub, app: web.Application, client: Client
) -> None:
    from hub.core.context import Context
    from hub.web.users import list_users

    admin = bearer(await async_add_user(hub.data_dir, "ada", "admin"))
    ada = next(u for u in await asyncio.to_thread(list_users, hub.data_dir) if u.name == "ada")
    await app[ACCESS_KEY].users.async_refresh()  # what the hub does every second
    plate_read = Context()
    by_automation = plate_read.child()
    by_user = Context(user_id=ada.id)
    hub.bus.async_fire(
        "gate_command",
        {"entity_id": "gate.entry", "command": "open", "plate": "NL42RES"},
        context=by_automation,
    )
    hub.bus.async_fire(
        "gate_command", {"entity_id": "gate.exit", "command": "close"}, context=by_user
    )
    hub.bus.async_fire(
        "gate_command", {"entity_id": "gate.exit", "command": "open", "source": "keypad"},
        context=Context(),
    )  # fmt: skip

    rows = [
        (e["user"], e["action"], e["target"], e["context_id"])
        for e in await _entries(client, admin)
    ]
    assert rows == [
        ("keypad", "gate_command", "gate.exit open", rows[0][3]),
        ("ada", "gate_command", "gate.exit close", by_user.id),
        ("automation", "gate_command", "gate.entry open plate=NL42RES", by_automation.id),
    ]
