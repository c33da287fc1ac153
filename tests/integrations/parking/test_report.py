"""`GET /api/parking/report`: per lot and node, for a period. A central hub with
`report_all_nodes` sees every hub's sessions in a shared PostgreSQL database; an
ordinary hub only its own; residents never."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from hub.config import HubConfig
from hub.core.hub import Hub
from hub.database import hub_node
from hub.integrations.parking import CONFIG_SCHEMA, DOMAIN, ParkingData, async_setup
from hub.integrations.parking.models import Session
from hub.integrations.parking.report import peak
from hub.integrations.parking.store import ParkingStore
from tests.conftest import Clock
from tests.web.accounts import async_add_user, bearer
from tests.web.conftest import AiohttpClient

from .conftest import LOT, SetupParking
from .payloads import read_plate

T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC).timestamp()
H = 3600.0
PERIOD = {"from": "2026-11-02T07:00:00+00:00", "to": "2026-11-02T18:00:00+00:00"}


def _closed(
    session_id: str, lot: str, entry: float, exit_time: float, fee: int, paid: int
) -> Session:
    return Session(
        session_id,
        lot,
        "KA01AB1234",
        entry,
        status="closed",
        exit_time=exit_time,
        fee=fee,
        paid_amount=paid,
    )


async def _write(url: str, node: str, sessions: list[Session]) -> None:
    """What another hub's parking store writes into the shared database."""
    store = await ParkingStore.async_open(url, node)
    try:
        for session in sessions:
            await store.async_save_session(session.row())
    finally:
        await store.async_close()


async def _report(client: TestClient[Any, Any], headers: dict[str, str], **query: str) -> Any:
    response = await client.get("/api/parking/report", params=query, headers=headers)
    assert response.status == 200, await response.text()
    return await response.json()


def test_peak_counts_stays_open_at_once() -> None:
    # An exit at the moment of an entry is not two at once; a stay from before counts.
    assert peak([(0, 10), (10, 20)], 0, 100) == (1, 0)
    assert peak([(-50, None), (5, 30), (20, 40)], 0, 100) == (3, 20)
    assert peak([], 0, 100) == (0, None)


async def test_a_central_hub_reports_every_hubs_lots(
    hub: Hub,
    app: web.Application,
    aiohttp_client: AiohttpClient,
    auth_header: dict[str, str],
    postgres_url: str,
) -> None:
    overstayed = _closed("w2", "main", T0 + H, T0 + 3 * H, 500, 0)
    overstayed.overstay_fired = True
    await _write(
        postgres_url,
        "west_lot",
        [
            _closed("w1", "main", T0, T0 + 2 * H, 500, 500),
            overstayed,
            Session("w3", "main", "MH12CD5678", T0 + 4 * H),  # still parked
        ],
    )
    await _write(
        postgres_url, "east_lot", [_closed("e1", "main", T0 + 0.5 * H, T0 + 1.5 * H, 250, 250)]
    )
    await async_setup(hub, CONFIG_SCHEMA({**LOT, "db_url": postgres_url, "report_all_nodes": True}))
    client = await aiohttp_client(app)

    body = await _report(client, auth_header, **PERIOD)
    assert body["scope"] == "all_nodes"
    assert body["currency"] == "EUR"
    rows = {(row["node"], row["lot"]): row for row in body["lots"]}
    assert set(rows) == {("east_lot", "main"), ("west_lot", "main")}
    west, east = rows["west_lot", "main"], rows["east_lot", "main"]
    assert (west["sessions"], west["ended"], west["fees"], west["paid"]) == (3, 2, 1000, 500)
    assert (west["average_stay_s"], west["overstays"], west["peak_occupancy"]) == (7200, 1, 2)
    assert west["peak_at"] == "2026-11-02T09:00:00+00:00"
    assert (east["sessions"], east["fees"], east["average_stay_s"], east["peak_occupancy"]) == (
        1,
        250,
        3600,
        1,
    )
    total = body["total"]
    assert (total["sessions"], total["fees"], total["paid"], total["overstays"]) == (
        4,
        1250,
        750,
        1,
    )
    assert total["peak_occupancy"] == 3  # w1, e1 and w2 at 09:00

    only_east = await _report(client, auth_header, node="east_lot", **PERIOD)
    assert [(row["node"], row["sessions"]) for row in only_east["lots"]] == [("east_lot", 1)]
    # Other hubs' lots are not in this hub's config: the filter still takes them.
    main = await _report(client, auth_header, lot="main", **PERIOD)
    assert len(main["lots"]) == 2
    earlier = await _report(client, auth_header, **{"from": "2026-10-01", "to": "2026-10-31"})
    assert earlier["lots"] == []
    assert earlier["total"]["sessions"] == 0


async def test_a_running_hubs_sessions_show_in_the_central_hubs_report(
    hub: Hub,
    clock: Clock,
    app: web.Application,
    aiohttp_client: AiohttpClient,
    auth_header: dict[str, str],
    postgres_url: str,
    tmp_path: Path,
) -> None:
    """Two ParkHubs on one database: the west lot's own hub makes sessions from its plate
    reads; the central reporting hub, with lots of its own, sees both hubs' lots."""
    folder = tmp_path / "west"
    await asyncio.to_thread(folder.mkdir)
    west = Hub(HubConfig(name="West lot"), config_dir=folder, data_dir=folder)
    west.scheduler.freeze(hub.scheduler.utcnow())
    await async_setup(west, CONFIG_SCHEMA({**LOT, "db_url": postgres_url}))
    await west.async_start()
    try:
        await async_setup(
            hub, CONFIG_SCHEMA({**LOT, "db_url": postgres_url, "report_all_nodes": True})
        )
        client = await aiohttp_client(app)
        start = hub.scheduler.utcnow().isoformat()
        read_plate(west, "KA01AB1234")
        read_plate(west, "MH12CD5678")
        read_plate(hub, "NL42RES")
        await west.async_block_till_done()
        await clock.advance(hours=1)
        west.scheduler.freeze(hub.scheduler.utcnow())
        read_plate(west, "KA01AB1234", "camera.exit", "exit")
        await west.async_block_till_done()
        await hub.async_block_till_done()
        await west.async_wait_writes()
        await clock.advance(seconds=1)  # the period (default: until now) ends after the exit
        body = await _report(client, auth_header, **{"from": start})
    finally:
        await west.async_stop()
    rows = {row["node"]: row for row in body["lots"]}
    assert set(rows) == {"west_lot", hub_node(hub)}
    assert (rows["west_lot"]["sessions"], rows["west_lot"]["ended"]) == (2, 1)
    assert rows["west_lot"]["average_stay_s"] == 3600
    assert rows["west_lot"]["peak_occupancy"] == 2
    assert (rows[hub_node(hub)]["sessions"], rows[hub_node(hub)]["ended"]) == (1, 0)
    assert body["total"]["peak_occupancy"] == 3


async def test_an_ordinary_hub_reports_its_own_node_only(
    hub: Hub,
    app: web.Application,
    aiohttp_client: AiohttpClient,
    auth_header: dict[str, str],
    setup_parking: SetupParking,
    db_url: str | None,
) -> None:
    data: ParkingData = await setup_parking()
    assert hub.data[DOMAIN] is data
    await data.store.async_save_session(_closed("own", "demo", T0, T0 + H, 250, 0).row())
    if db_url is not None:  # another hub's rows in the same database stay out
        await _write(db_url, "west_lot", [_closed("w1", "main", T0, T0 + H, 500, 500)])
    client = await aiohttp_client(app)
    operator = bearer(await async_add_user(hub.data_dir, "olga", "operator"))
    resident = bearer(await async_add_user(hub.data_dir, "rita", "resident", ["KA01AB1234"]))

    body = await _report(client, operator, **PERIOD)
    assert body["scope"] == "own_node"
    assert [(row["node"], row["lot"], row["fees"]) for row in body["lots"]] == [
        (hub_node(hub), "demo", 250)
    ]
    assert (await client.get("/api/parking/report", headers=resident)).status == 403


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"node": "west_lot"}, "node: this hub reports on its own node"),
        ({"lot": "main"}, "lot: unknown lot 'main'"),
        ({"from": "yesterday"}, "from: expected a date"),
        ({"from": "2026-11-05", "to": "2026-11-01"}, "to: must be after from"),
        ({"from": "1990-01-01", "to": "2026-11-01"}, "from: at most"),
        ({"node": "West Lot!"}, "node:"),
    ],
)
async def test_bad_report_queries_say_which_field(
    hub: Hub,
    app: web.Application,
    aiohttp_client: AiohttpClient,
    auth_header: dict[str, str],
    query: dict[str, str],
    field: str,
) -> None:
    await async_setup(hub, CONFIG_SCHEMA(LOT))
    client = await aiohttp_client(app)
    response = await client.get("/api/parking/report", params=query, headers=auth_header)
    assert response.status == 400
    assert field in (await response.json())["error"]
