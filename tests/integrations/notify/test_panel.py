"""Panel notifications: stored once, listed newest first, marked read over REST and WS."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from hub.core.hub import Hub
from hub.integrations.notify.models import Notification
from tests.web.conftest import AiohttpClient, WSClient

from .conftest import SetupNotify

PANEL = {"notifiers": [{"name": "panel", "platform": "panel"}]}


@pytest.fixture
async def panel_app(app: web.Application, setup_notify: SetupNotify) -> web.Application:
    """The hub's web app with notify set up on it (routes go on before the server starts)."""
    await setup_notify(PANEL)
    return app


@pytest.fixture
async def raw_client(
    panel_app: web.Application, aiohttp_client: AiohttpClient
) -> TestClient[Any, Any]:
    return await aiohttp_client(panel_app)


@pytest.fixture
async def api_client(
    panel_app: web.Application, aiohttp_client: AiohttpClient, auth_header: dict[str, str]
) -> TestClient[Any, Any]:
    return await aiohttp_client(panel_app, headers=auth_header)


async def send(hub: Hub, message: str, **extra: Any) -> str:
    result = await hub.services.async_call("notify", "panel", {"message": message, **extra})
    await hub.async_block_till_done()
    note_id: str = result["ids"][0]
    return note_id


async def test_panel_rest_list_and_mark(hub: Hub, api_client: TestClient[Any, Any]) -> None:
    first = await send(hub, "Camera entry offline", title="Camera")
    second = await send(hub, "Barrier stuck")

    listing = await (await api_client.get("/api/notify/panel")).json()
    assert listing["unread"] == 2
    assert [item["id"] for item in listing["notifications"]] == [second, first]
    assert listing["notifications"][1] | {"created": 0} == {
        "id": first,
        "notifier": "panel",
        "title": "Camera",
        "message": "Camera entry offline",
        "data": {},
        "created": 0,
        "read": False,
    }

    response = await api_client.post(f"/api/notify/panel/{first}/read")
    assert response.status == 200
    unread = await (await api_client.get("/api/notify/panel?unread=1")).json()
    assert [item["id"] for item in unread["notifications"]] == [second]
    await api_client.post(f"/api/notify/panel/{first}/unread")
    assert (await (await api_client.get("/api/notify/panel")).json())["unread"] == 2
    assert (await (await api_client.post("/api/notify/panel/read_all")).json()) == {"marked": 2}

    response = await api_client.delete(f"/api/notify/panel/{second}")
    assert response.status == 200
    missing = await api_client.post(f"/api/notify/panel/{second}/read")
    assert missing.status == 404
    assert "no panel notification" in (await missing.json())["error"]
    listing = await (await api_client.get("/api/notify/panel")).json()
    assert [item["id"] for item in listing["notifications"]] == [first]


async def test_panel_over_websocket(hub: Hub, ws_client: WSClient) -> None:
    note_id = await send(hub, "Lot full", data={"free": 0})
    msg_id = await ws_client.send_command(type="notify/panel/list")
    result = (await ws_client.receive_result(msg_id))["result"]
    assert result["unread"] == 1
    assert result["notifications"][0]["data"] == {"free": 0}

    msg_id = await ws_client.send_command(type="notify/panel/mark_read", notification_id=note_id)
    assert (await ws_client.receive_result(msg_id))["result"] == {"marked": 1}
    msg_id = await ws_client.send_command(type="notify/panel/list", unread_only=True)
    assert (await ws_client.receive_result(msg_id))["result"]["notifications"] == []
    msg_id = await ws_client.send_command(type="notify/panel/mark_read", notification_id="nope")
    reply = await ws_client.receive_result(msg_id)
    assert reply["success"] is False
    assert reply["error"]["code"] == "not_found"


async def test_panel_message_stored_once_per_notification(
    hub: Hub, setup_notify: SetupNotify
) -> None:
    """A resumed or retried panel delivery of the same notification adds nothing."""
    await setup_notify(PANEL)
    runtime = hub.data["notify"]
    note_id = await send(hub, "once")
    (note,) = [item for item in await runtime.store.async_panel_list() if item["id"] == note_id]
    notifier = runtime.notifiers["panel"]
    await notifier.async_send(Notification(id=note_id, notifier="panel", target="", message="x"))
    items = await runtime.store.async_panel_list()
    assert [(item["id"], item["message"]) for item in items] == [(note_id, note["message"])]


async def test_each_user_sees_their_own_panel_notifications(
    hub: Hub, raw_client: TestClient[Any, Any]
) -> None:
    """Residents: their own; operators: the staff's (no target) and their own; admin: all."""
    from tests.web.accounts import async_add_user, bearer

    rita = bearer(await async_add_user(hub.data_dir, "rita", "resident"))
    olga = bearer(await async_add_user(hub.data_dir, "olga", "operator"))
    ada = bearer(await async_add_user(hub.data_dir, "ada", "admin"))
    staff = await send(hub, "Barrier stuck")
    for_rita = await send(hub, "Your reservation starts in 10 minutes", target="rita")
    for_olga = await send(hub, "Shift starts", target="olga")

    async def seen(headers: dict[str, str]) -> set[str]:
        listing = await (await raw_client.get("/api/notify/panel", headers=headers)).json()
        return {item["id"] for item in listing["notifications"]}

    assert await seen(rita) == {for_rita}
    assert await seen(olga) == {staff, for_olga}
    assert await seen(ada) == {staff, for_rita, for_olga}
    # Nobody marks or dismisses what they cannot see.
    assert (await raw_client.post(f"/api/notify/panel/{staff}/read", headers=rita)).status == 404
    assert (await raw_client.delete(f"/api/notify/panel/{for_rita}", headers=olga)).status == 404
    marked = await (await raw_client.post("/api/notify/panel/read_all", headers=rita)).json()
    assert marked == {"marked": 1}
    assert (await raw_client.delete(f"/api/notify/panel/{for_rita}", headers=rita)).status == 200


def _old_outbox(path: Any) -> None:
    import sqlite3

    db = sqlite3.connect(path)
    db.executescript(  # notify.db as version 1 made it, before schema versions
        "CREATE TABLE outbox (id TEXT PRIMARY KEY, notifier TEXT NOT NULL, target TEXT NOT NULL,"
        " title TEXT, message TEXT NOT NULL, data TEXT NOT NULL, attachments TEXT NOT NULL,"
        " created REAL NOT NULL, tries INTEGER NOT NULL, next_attempt REAL NOT NULL,"
        " status TEXT NOT NULL, context_id TEXT, last_error TEXT, finished REAL);"
        "CREATE INDEX outbox_status ON outbox (status, finished);"
        "CREATE TABLE panel (id TEXT PRIMARY KEY, notifier TEXT NOT NULL, title TEXT,"
        " message TEXT NOT NULL, data TEXT NOT NULL, created REAL NOT NULL,"
        " read INTEGER NOT NULL DEFAULT 0);"
        "INSERT INTO outbox VALUES ('waiting', 'panel', '', NULL, 'resumed', '{}', '[]', 1.0,"
        " 0, 1.0, 'pending', NULL, NULL, NULL);"
        "INSERT INTO panel VALUES ('old', 'panel', NULL, 'kept', '{}', 1.0, 0);"
    )
    db.commit()
    db.close()


async def test_a_notify_db_from_before_versions_is_upgraded(hub: Hub) -> None:
    import asyncio

    from hub.integrations.notify.store import OutboxStore

    path = hub.data_dir / "old_notify.db"
    await asyncio.to_thread(_old_outbox, path)
    store = await OutboxStore.async_open(path, "west_lot")
    try:
        assert [item["id"] for item in await store.async_panel_list(audience=("",))] == ["old"]
        assert [note.id for note in await store.async_pending()] == ["waiting"]
    finally:
        await store.async_close()


@pytest.mark.parametrize(
    ("message", "words"),
    [
        # Finding 13: a 10 MB result was rendered and stored.
        ("{{ 'x' * 10000000 }}", "limit"),
        ("{% for i in range(100000) %}{{ 'x' * 200 }}{% endfor %}", "longer than"),
        # Finding 6: the nested loops held the loop 9.5 s.
        (
            "{% for i in range(100000) %}{% for j in range(1000) %}{% endfor %}{% endfor %}",
            "ms and was stopped",
        ),
    ],
)
async def test_a_runaway_message_template_is_refused_and_nothing_stored(
    hub: Hub, api_client: TestClient[Any, Any], message: str, words: str
) -> None:
    response = await api_client.post("/api/services/notify/panel", json={"message": message})
    assert response.status == 400
    error = (await response.json())["error"]
    assert error.startswith("message: template "), error
    assert words in error, error
    assert (await (await api_client.get("/api/notify/panel")).json())["notifications"] == []
