"""Lists through the services and the REST API, kept in data/lpr.db (or PostgreSQL: every
test runs on both) across restarts, and matched on reads with their validity windows on
the hub's clock."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from hub.core.exceptions import ServiceValidationError
from hub.core.hub import Hub
from hub.integrations import lpr
from hub.integrations.lpr.runtime import LprRuntime
from hub.web import create_app, create_token
from tests.conftest import Clock
from tests.integrations.conftest import StartHub
from tests.web.conftest import AiohttpClient

from .lpr_setup import LISTS, use_shared_engine


@pytest.fixture(autouse=True)
async def engine(monkeypatch: pytest.MonkeyPatch) -> None:
    await use_shared_engine(monkeypatch)


@pytest.fixture
def lpr_config(db_url: str | None) -> dict[str, Any]:
    """The `lpr:` block: the lists, on SQLite and on PostgreSQL."""
    config: dict[str, Any] = lpr.CONFIG_SCHEMA(
        {"lists": LISTS, **({"db_url": db_url} if db_url else {})}
    )
    return config


@pytest.fixture
async def client(
    hub: Hub, aiohttp_client: AiohttpClient, lpr_config: dict[str, Any]
) -> TestClient[Any, Any]:
    token = await asyncio.to_thread(create_token, hub.data_dir, "test")
    app = create_app(hub)
    assert await lpr.async_setup(hub, lpr_config)
    client: TestClient[Any, Any] = await aiohttp_client(
        app, headers={"Authorization": f"Bearer {token}"}
    )
    return client


async def test_lists_over_rest(hub: Hub, client: TestClient[Any, Any]) -> None:
    response = await client.get("/api/lpr/lists")
    assert response.status == 200
    assert await response.json() == [
        {"name": "residents", "kind": "allow", "max_distance": 1, "count": 2},
        {"name": "banned", "kind": "block", "max_distance": 0, "count": 1},
    ]
    response = await client.post(
        "/api/lpr/lists/residents/plates",
        json={"plate": "dl-3c ab 1234", "note": "visitor of flat 2", "valid_until": "2026-12-31"},
    )
    assert response.status == 201, await response.text()
    added = await response.json()
    assert added["plate"] == "DL3CAB1234"
    assert added["source"] == "db"
    assert added["active"]
    response = await client.get("/api/lpr/lists/residents/plates")
    plates = {item["plate"]: item for item in await response.json()}
    assert set(plates) == {"DL3CAB1234", "KA01AB1234", "NL42RES"}
    assert plates["KA01AB1234"]["note"] == "flat 4"
    assert plates["KA01AB1234"]["source"] == "yaml"
    assert plates["DL3CAB1234"]["valid_until"].startswith("2027-01-01T00:00:00")

    response = await client.delete("/api/lpr/lists/residents/plates/DL3CAB1234")
    assert response.status == 200
    assert (await response.json())["plate"] == "DL3CAB1234"
    response = await client.get("/api/lpr/lists/residents/plates")
    assert len(await response.json()) == 2


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "message"),
    [
        ("POST", "/api/lpr/lists/residents/plates", {"note": "x"}, 400, "plate"),
        ("POST", "/api/lpr/lists/residents/plates", {"plate": "K"}, 400, "plate"),
        ("POST", "/api/lpr/lists/residents/plates", ["AB12"], 400, "JSON object"),
        (
            "POST",
            "/api/lpr/lists/residents/plates",
            {"plate": "AB12", "valid_from": "tomorrow"},
            400,
            "valid_from",
        ),
        ("POST", "/api/lpr/lists/nope/plates", {"plate": "AB12"}, 404, "unknown list 'nope'"),
        ("POST", "/api/lpr/lists/residents/plates", {"plate": "KA01AB1234"}, 409, "config.yaml"),
        ("DELETE", "/api/lpr/lists/residents/plates/NL42RES", None, 409, "read-only"),
        ("DELETE", "/api/lpr/lists/residents/plates/ZZ11ZZZ", None, 404, "not on residents"),
        ("GET", "/api/lpr/lists/nope/plates", None, 404, "unknown list"),
    ],
)
async def test_bad_requests_say_what_is_wrong(
    client: TestClient[Any, Any],
    method: str,
    path: str,
    body: Any,
    status: int,
    message: str,
) -> None:
    response = await client.request(method, path, json=body)
    assert response.status == status
    assert message in (await response.json())["error"]


async def test_services_manage_the_database_list(
    hub: Hub, clock: Clock, lpr_config: dict[str, Any]
) -> None:
    assert await lpr.async_setup(hub, lpr_config)
    runtime: LprRuntime = hub.data["lpr"]
    start = clock.now()
    result = await hub.services.async_call(
        "lpr",
        "add_plate",
        {
            "list": "banned",
            "plate": "HD53HSG",
            "note": "unpaid fines",
            "valid_from": (start.replace(hour=9)).isoformat(),
            "valid_until": (start.replace(hour=10)).isoformat(),
        },
    )
    assert result["plate"] == "HD53HSG"
    assert runtime.lists.match("HD53HSG", clock.now()) is None  # not yet valid (08:00)
    await clock.advance(hours=1)
    match = runtime.lists.match("HD53HSG", clock.now())
    assert match is not None
    assert (match.entry.list, match.kind) == ("banned", "block")
    await clock.advance(hours=1)
    assert runtime.lists.match("HD53HSG", clock.now()) is None  # expired at 10:00

    with pytest.raises(ServiceValidationError, match="unknown list 'guests'"):
        await hub.services.async_call("lpr", "add_plate", {"list": "guests", "plate": "AB12"})
    with pytest.raises(ServiceValidationError, match="plate"):
        await hub.services.async_call("lpr", "add_plate", {"list": "banned"})
    with pytest.raises(ServiceValidationError, match="read-only"):
        await hub.services.async_call("lpr", "remove_plate", {"list": "banned", "plate": "PH12CAR"})
    await hub.services.async_call("lpr", "remove_plate", {"list": "banned", "plate": "hd53hsg"})
    assert runtime.lists.get("banned", "HD53HSG") is None


async def test_database_entries_survive_a_restart(
    start_hub: StartHub, lpr_config: dict[str, Any]
) -> None:
    hub = await start_hub()
    assert await lpr.async_setup(hub, lpr_config)
    await hub.services.async_call("lpr", "add_plate", {"list": "residents", "plate": "MH12DE1433"})
    await hub.async_stop()
    hub = await start_hub()
    assert await lpr.async_setup(hub, lpr_config)
    runtime: LprRuntime = hub.data["lpr"]
    entry = runtime.lists.get("residents", "MH12DE1433")
    assert entry is not None
    assert entry.source == "db"
    # residents allows one character off: the read "MH12DE1438" matches it
    match = runtime.lists.match("MH12DE1438", hub.scheduler.utcnow())
    assert match is not None
    assert match.entry.plate == "MH12DE1433"


async def test_a_media_path_of_3000_folders_is_400_not_500(client: TestClient[Any, Any]) -> None:
    """Finding 10: the file system's ENAMETOOLONG once came out as a 500."""
    response = await client.get("/api/lpr/media/" + "a/" * 3000 + "plate.jpg")
    assert response.status == 400
    assert "path: longer than 1024 bytes" in (await response.json())["error"]
    # Under the limit but still too long for the file system: not found, not a crash.
    response = await client.get("/api/lpr/media/" + "b" * 300 + "/plate.jpg")
    assert response.status == 404


@pytest.mark.parametrize("until", ["9999-12-31", "0001-01-01", "9999-12-31T23:59:59"])
async def test_a_list_entry_valid_until_the_end_of_time_is_400(
    client: TestClient[Any, Any], until: str
) -> None:
    """Finding 10's dates, on the plate lists: 9999-12-31 plus a day was a 500."""
    response = await client.post(
        "/api/lpr/lists/residents/plates", json={"plate": "KA01AB1234", "valid_until": until}
    )
    assert response.status == 400
    assert "valid_until" in (await response.json())["error"]
