"""A resident's own parking: their sessions (fees, payments), reservations, reserve/cancel."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from hub.core.hub import Hub
from tests.conftest import Clock
from tests.web.accounts import async_add_user, bearer
from tests.web.conftest import AiohttpClient, connect_ws

from .conftest import SetupParking
from .payloads import read_plate


async def test_resident_sees_and_books_only_their_own_vehicles(
    hub: Hub,
    clock: Clock,
    app: web.Application,
    setup_parking: SetupParking,
    aiohttp_client: AiohttpClient,
    auth_header: dict[str, str],
) -> None:
    await setup_parking()
    rita = bearer(await async_add_user(hub.data_dir, "rita", "resident", ["ka-01 ab 1234"]))
    client = await aiohttp_client(app)
    read_plate(hub, "KA01AB1234")
    read_plate(hub, "NL42RES")
    await clock.advance(minutes=40)
    await hub.async_block_till_done()

    mine = await (await client.get("/api/parking/sessions", headers=rita)).json()
    assert [item["plate"] for item in mine["sessions"]] == ["KA01AB1234"]
    assert "fee" in mine["sessions"][0]
    assert "paid_amount" in mine["sessions"][0]
    everything = await (await client.get("/api/parking/sessions", headers=auth_header)).json()
    other = next(item for item in everything["sessions"] if item["plate"] == "NL42RES")
    refused = await client.get("/api/parking/sessions", params={"plate": "NL42RES"}, headers=rita)
    assert refused.status == 403
    hidden = await client.get(f"/api/parking/sessions/{other['id']}", headers=rita)
    assert hidden.status == 404

    # Reserve for their own car (REST) and cancel it (WebSocket); another car: refused.
    booked = await client.post(
        "/api/services/parking/reserve",
        json={"plate": "KA01AB1234", "duration": "1h"},
        headers=rita,
    )
    assert booked.status == 200, await booked.text()
    for_other: Any = await client.post(
        "/api/services/parking/reserve", json={"plate": "NL42RES", "duration": "1h"}, headers=rita
    )
    assert for_other.status == 403
    assert "own vehicles" in (await for_other.json())["error"]
    listing = await (await client.get("/api/parking/reservations", headers=rita)).json()
    [reservation] = listing["reservations"]
    assert reservation["plate"] == "KA01AB1234"

    staff_booked = await hub.services.async_call(
        "parking", "reserve", {"plate": "NL42RES", "duration": "1h"}
    )
    ws = await connect_ws(client, rita["Authorization"].split()[1])
    msg_id = await ws.send_command(
        type="call_service",
        domain="parking",
        service="cancel_reservation",
        service_data={"reservation_id": staff_booked["id"]},
    )
    assert (await ws.receive_result(msg_id))["error"]["code"] == "unauthorized"
    msg_id = await ws.send_command(
        type="call_service",
        domain="parking",
        service="cancel_reservation",
        service_data={"reservation_id": reservation["id"]},
    )
    assert (await ws.receive_result(msg_id))["success"] is True
    # Ending a session is the staff's, even for one's own car.
    msg_id = await ws.send_command(
        type="call_service",
        domain="parking",
        service="end_session",
        service_data={"plate": "KA01AB1234"},
    )
    assert (await ws.receive_result(msg_id))["error"]["code"] == "unauthorized"
    await ws.close()
