"""The attendant's services and the REST API over sessions and reservations."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiohttp import web

from hub.core.exceptions import ServiceValidationError
from hub.core.hub import Hub
from hub.web import create_token
from tests.conftest import Clock
from tests.web.conftest import AiohttpClient

from .conftest import SetupParking, db_rows, recorded, state
from .payloads import read_plate


async def call(hub: Hub, service: str, **data: Any) -> Any:
    result = await hub.services.async_call("parking", service, data)
    await hub.async_block_till_done()
    return result


async def test_start_pay_and_end_by_hand(
    hub: Hub, clock: Clock, setup_parking: SetupParking
) -> None:
    await setup_parking()
    ended = recorded(hub, "parking_session_ended")
    session = await call(hub, "start_session", plate="ka-01 ab 1234")
    assert session["plate"] == "KA01AB1234"
    assert session["lot"] == "demo"
    assert state(hub, "sensor.demo_active_sessions") == "1"
    await clock.advance(hours=1, minutes=10)
    # Paid at the pay station while still inside: what it costs so far, two hours.
    paid = await call(hub, "pay", plate="KA01AB1234", method="card")
    assert (paid["paid_amount"], paid["payment_method"]) == (500, "card")
    await clock.advance(minutes=5)
    done = await call(hub, "end_session", session_id=session["id"])
    assert (done["fee"], done["paid"], done["end_reason"]) == (500, True, "manual")
    assert ended[0].data["paid"] is True
    revenue = hub.states.get("sensor.demo_revenue_today")
    assert revenue is not None
    assert revenue.attributes == {
        "minor_units": 500,
        "paid_minor_units": 500,
        "unit_of_measurement": "EUR",
        "friendly_name": "demo revenue today",
        "device_class": "monetary",
        "icon": "mdi:cash-register",
    }


async def test_pay_after_exit_and_mark_unpaid(
    hub: Hub, clock: Clock, setup_parking: SetupParking
) -> None:
    await setup_parking()
    read_plate(hub, "PH12CAR")
    await clock.advance(hours=2, minutes=30)
    read_plate(hub, "PH12CAR", camera="camera.exit", direction="exit")
    await hub.async_block_till_done()
    partly = await call(hub, "pay", plate="PH12CAR", amount=500, method="cash")
    assert (partly["fee"], partly["paid_amount"], partly["paid"]) == (750, 500, False)
    rest = await call(hub, "pay", session_id=partly["id"], method="online")  # what is owed
    assert (rest["paid_amount"], rest["paid"]) == (750, True)
    refused = await call(hub, "pay", session_id=partly["id"], method="card", amount=0, paid=False)
    assert refused["paid"] is False
    [row] = await db_rows(hub)
    assert (row["paid_amount"], row["payment_method"], row["paid_flag"]) == (750, "card", 0)


@pytest.mark.parametrize(
    ("service", "data", "message"),
    [
        ("start_session", {}, "plate: required key not provided"),
        ("start_session", {"plate": "--"}, "plate: expected a plate"),
        ("start_session", {"plate": "AB12", "lot": "north"}, "lot: unknown lot 'north'"),
        ("end_session", {"plate": "NOPE1"}, "plate: NOPE1 has no open session"),
        ("end_session", {"lot": "demo"}, "one of session_id, plate is required"),
        ("pay", {"plate": "AB12", "method": "bitcoin"}, "method: value must be one of"),
        ("pay", {"plate": "NOPE1", "method": "cash"}, "plate: no session for NOPE1"),
        ("extend", {"plate": "AB12"}, "duration: required key not provided"),
        ("reserve", {"plate": "AB12"}, "one of end, duration is required"),
        ("cancel_reservation", {"reservation_id": "x"}, "reservation_id: no live reservation x"),
    ],
)
async def test_bad_calls_name_the_field(
    hub: Hub,
    clock: Clock,
    setup_parking: SetupParking,
    service: str,
    data: dict[str, Any],
    message: str,
) -> None:
    await setup_parking()
    with pytest.raises(ServiceValidationError, match=message):
        await hub.services.async_call("parking", service, data)


async def test_start_twice_is_refused(hub: Hub, clock: Clock, setup_parking: SetupParking) -> None:
    await setup_parking()
    await call(hub, "start_session", plate="AB12CD")
    with pytest.raises(ServiceValidationError, match="AB12CD is already inside lot demo"):
        await call(hub, "start_session", plate="AB12CD")


async def test_rest_sessions(
    hub: Hub,
    clock: Clock,
    app: web.Application,
    setup_parking: SetupParking,
    aiohttp_client: AiohttpClient,
    auth_header: dict[str, str],
) -> None:
    await setup_parking()
    client = await aiohttp_client(app, headers=auth_header)
    read_plate(hub, "KA01AB1234")
    read_plate(hub, "NL42RES", list="residents", listed="allow")
    await clock.advance(minutes=40)
    read_plate(hub, "KA01AB1234", camera="camera.exit", direction="exit")
    await hub.async_block_till_done()

    response = await client.get("/api/parking/sessions", params={"active": "1"})
    assert response.status == 200
    [inside] = (await response.json())["sessions"]
    assert (inside["plate"], inside["list"], inside["status"]) == ("NL42RES", "residents", "open")

    response = await client.get("/api/parking/sessions", params={"plate": "ka01ab1234"})
    [left] = (await response.json())["sessions"]
    assert (left["status"], left["fee"], left["duration_s"]) == ("closed", 250, 2400)

    response = await client.get(f"/api/parking/sessions/{left['id']}")
    assert (await response.json())["id"] == left["id"]
    everything = await (await client.get("/api/parking/sessions")).json()
    assert len(everything["sessions"]) == 2

    response = await client.get("/api/parking/sessions/nope")
    assert response.status == 404
    assert (await response.json()) == {"error": "session_id: no session nope"}


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"active": "maybe"}, "active: expected 1 or 0"),
        ({"limit": "ten"}, "limit: expected a whole number"),
        ({"limit": "0"}, "limit: value must be at least 1"),
        ({"lot": "north"}, "lot: unknown lot 'north'"),
        ({"plate": "--"}, "plate: expected a plate"),
        ({"colour": "red"}, "colour: extra keys not allowed"),
    ],
)
async def test_rest_bad_queries_are_400(
    hub: Hub,
    app: web.Application,
    setup_parking: SetupParking,
    aiohttp_client: AiohttpClient,
    auth_header: dict[str, str],
    query: dict[str, str],
    message: str,
) -> None:
    await setup_parking()
    client = await aiohttp_client(app, headers=auth_header)
    for path in ("/api/parking/sessions", "/api/parking/reservations"):
        response = await client.get(path, params=query)
        assert response.status == 400
        assert message in (await response.json())["error"]


async def test_rest_needs_a_token(
    hub: Hub, app: web.Application, setup_parking: SetupParking, aiohttp_client: AiohttpClient
) -> None:
    """Residents' own view is in test_resident.py; a service-account resident sees nothing."""
    await setup_parking()
    client = await aiohttp_client(app)
    assert (await client.get("/api/parking/sessions")).status == 401
    resident = await asyncio.to_thread(create_token, hub.data_dir, "flat 4", "resident")
    headers = {"Authorization": f"Bearer {resident}"}
    response = await client.get("/api/parking/sessions", headers=headers)
    assert await response.json() == {"sessions": []}
    response = await client.get("/api/parking/sessions/x", headers=headers)
    assert response.status == 404
