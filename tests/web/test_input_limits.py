"""Findings 7, 8, 10 and 13: input past the issue's limits is refused at the door with a
400 and a JSON error naming the field, and nothing stored breaks the hub afterwards."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from hub.core.hub import Hub
from hub.integrations.parking import CONFIG_SCHEMA, async_setup
from tests.integrations.parking.conftest import LOT
from tests.web.conftest import AiohttpClient


def nested(depth: int) -> dict[str, Any]:
    """`{"a": {"a": ... {"a": 1}}}` with `depth` levels below the top."""
    value: dict[str, Any] = {"a": 1}
    for _ in range(depth):
        value = {"a": value}
    return value


@pytest.fixture
async def client(
    hub: Hub, app: web.Application, aiohttp_client: AiohttpClient, auth_header: dict[str, str]
) -> TestClient[Any, Any]:
    """The REST API with the parking integration of the parking tests."""
    await async_setup(hub, CONFIG_SCHEMA(copy.deepcopy(LOT)))
    return await aiohttp_client(app, headers=auth_header)


async def refused(response: Any, *words: str) -> str:
    assert response.status == 400, await response.text()
    assert response.content_type == "application/json"
    error: str = (await response.json())["error"]
    for word in words:
        assert word in error, error
    return error


async def call(client: TestClient[Any, Any], service: str, data: dict[str, Any]) -> Any:
    return await client.post(f"/api/services/parking/{service}", json=data)


# -- finding 7: deep attributes, big bodies -------------------------------------------------


async def test_attributes_nested_500_deep_are_refused_and_states_keep_working(
    client: TestClient[Any, Any],
) -> None:
    response = await client.post(
        "/api/states/sensor.deep", json={"state": "1", "attributes": nested(500)}
    )
    await refused(response, "attributes", "nested deeper than 32")
    assert (await client.post("/api/states/sensor.ok", json={"state": "1"})).status == 201
    response = await client.get("/api/states")
    assert response.status == 200
    assert "sensor.deep" not in {state["entity_id"] for state in await response.json()}


async def test_32_levels_are_fine_33_are_not(client: TestClient[Any, Any]) -> None:
    ok = await client.post("/api/states/sensor.x", json={"state": "1", "attributes": nested(31)})
    assert ok.status == 201, await ok.text()
    deep = {"state": "1", "attributes": nested(33)}
    await refused(await client.post("/api/states/sensor.x", json=deep), "attributes")


async def test_a_state_body_over_64_kb_is_refused(client: TestClient[Any, Any]) -> None:
    body = {"state": "1", "attributes": {"blob": "x" * 70_000}}
    await refused(await client.post("/api/states/sensor.big", json=body), "body", "65536")


async def test_deep_service_data_and_event_data_are_refused(client: TestClient[Any, Any]) -> None:
    response = await call(client, "start_session", {"plate": "KA01", "x": nested(500)})
    await refused(response, "parking.start_session", "nested deeper than 32")
    response = await client.post("/api/events/lot_note", json=nested(500))
    await refused(response, "event data", "nested deeper than 32")


# -- finding 8: money ---------------------------------------------------------------------


@pytest.mark.parametrize("amount", [1e308, -1, 1_000_000_001, 12.5, "lots"])
async def test_payments_outside_0_to_10_9_minor_units_are_refused(
    client: TestClient[Any, Any], amount: Any
) -> None:
    assert (await call(client, "start_session", {"plate": "KA01AB1234"})).status == 200
    response = await call(
        client, "pay", {"plate": "KA01AB1234", "amount": amount, "method": "cash"}
    )
    await refused(response, "amount")
    # The session is still saved normally afterwards (1e308 once broke every later save).
    response = await call(client, "pay", {"plate": "KA01AB1234", "amount": 100, "method": "cash"})
    assert response.status == 200
    [session] = (await (await client.get("/api/parking/sessions")).json())["sessions"]
    assert session["paid_amount"] == 100


# -- finding 10: durations and dates --------------------------------------------------------


async def test_huge_durations_are_400_not_500(client: TestClient[Any, Any]) -> None:
    assert (await call(client, "start_session", {"plate": "KA01AB1234"})).status == 200
    response = await call(client, "extend", {"plate": "KA01AB1234", "duration": 1e300})
    await refused(response, "duration", "366 days")
    response = await call(client, "extend", {"plate": "KA01AB1234", "duration": {"days": 367}})
    await refused(response, "duration")
    response = await call(client, "extend", {"plate": "KA01AB1234", "duration": "2h"})
    assert response.status == 200


@pytest.mark.parametrize("start", ["9999-12-31T23:59:59", "0001-01-01T00:00:00"])
async def test_reservations_at_the_ends_of_the_calendar_are_400(
    client: TestClient[Any, Any], start: str
) -> None:
    response = await call(
        client, "reserve", {"plate": "KA01AB1234", "start": start, "duration": 60}
    )
    await refused(response, "start")


async def test_a_reservation_running_off_the_calendar_is_400(client: TestClient[Any, Any]) -> None:
    data = {"plate": "KA01AB1234", "start": "9999-12-30T00:00:00", "duration": {"days": 300}}
    await refused(await call(client, "reserve", data), "duration")


@pytest.mark.parametrize("path", ["/api/history", "/api/history/statistics"])
async def test_history_before_1970_is_400(client: TestClient[Any, Any], path: str) -> None:
    response = await client.get(f"{path}?entity_id=sensor.x&end=0001-01-01T00:00:00")
    await refused(response, "end", "1970")


@pytest.mark.parametrize(
    ("path", "field"),
    [
        # Added with the HA API and the panel after the findings: the same limits hold.
        ("/api/history/period/9999-12-31T23:59:59", "start"),
        ("/api/history/period?end_time=9999-12-31T23:59:59-14:00", "end_time"),
        ("/api/history?entity_id=sensor.x&start=9999-12-31T23:59:59-14:00", "start"),
        ("/api/parking/sessions?to=9999-12-31", "to"),
        ("/api/parking/sessions.csv?to=9999-12-31", "to"),
        ("/api/parking/sessions?from=0001-01-01", "from"),
    ],
)
async def test_query_times_at_the_ends_of_the_calendar_are_400(
    client: TestClient[Any, Any], path: str, field: str
) -> None:
    await refused(await client.get(path), field)


async def test_a_reservation_note_is_at_most_500_characters(client: TestClient[Any, Any]) -> None:
    """Residents may reserve: a 100,000-character note was stored in parking.db as sent."""
    data = {"plate": "KA01AB1234", "duration": "1h", "note": "n" * 100_000}
    await refused(await call(client, "reserve", data), "note", "500")
    data["note"] = "n" * 500
    assert (await call(client, "reserve", data)).status == 200


# -- finding 13: long ids and plates --------------------------------------------------------


async def test_entity_ids_over_255_characters_are_refused(client: TestClient[Any, Any]) -> None:
    long_id = "sensor." + "x" * 5000
    await refused(await client.post(f"/api/states/{long_id}", json={"state": "1"}), "255")
    response = await client.post("/api/services/gate/open", json={"entity_id": long_id})
    assert response.status == 400
    ok = "sensor." + "x" * 248
    assert (await client.post(f"/api/states/{ok}", json={"state": "1"})).status == 201


async def test_plates_over_16_characters_are_refused(
    hub: Hub, client: TestClient[Any, Any]
) -> None:
    response = await call(client, "start_session", {"plate": "K" * 10_000})
    await refused(response, "plate", "16")
    await refused(await call(client, "start_session", {"plate": "K" * 17}), "plate")
    assert (await call(client, "start_session", {"plate": "K" * 16})).status == 200
    # A plate_detected event with a 10,000-character plate starts nothing.
    hub.bus.async_fire("plate_detected", {"plate": "A" * 10_000, "camera": "camera.entry"})
    await hub.async_block_till_done()
    sessions = (await (await client.get("/api/parking/sessions")).json())["sessions"]
    assert [s["plate"] for s in sessions] == ["K" * 16]
