"""Reservations: clashes refused with a reason, unused ones expire, and occupancy shows
reserved spaces in its slot attributes and free count (through the bus event only)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from aiohttp import web

from hub.core.exceptions import ServiceValidationError
from hub.core.hub import Hub
from hub.integrations.occupancy import CONFIG_SCHEMA as OCCUPANCY_SCHEMA
from hub.integrations.occupancy import async_setup as setup_occupancy
from hub.integrations.occupancy.tracker import Readings
from tests.conftest import Clock
from tests.web.conftest import AiohttpClient

from .conftest import SetupParking, db_rows, recorded, state
from .payloads import read_plate

SLOTS = [f"a{n}" for n in range(1, 7)]
SQUARE = [[0, 0], [10, 0], [10, 10], [0, 10]]


@pytest.fixture
async def north(hub: Hub, clock: Clock, setup_parking: SetupParking) -> Hub:
    """Occupancy's lot `north` (6 spaces, a5 taken), and parking's lot of the same name."""
    hub.states.async_set("camera.north", "idle")
    slots = [{"id": slot, "polygon": SQUARE} for slot in SLOTS]
    conf = {"lots": {"north": {"camera": "camera.north", "slots": slots, "overlay": False}}}
    await setup_occupancy(hub, OCCUPANCY_SCHEMA(conf))
    lot = hub.data["occupancy"].lots["north"]
    taken = np.array([0.1, 0.1, 0.1, 0.1, 0.9, 0.1])
    lot._apply(Readings(np.arange(6), taken, clock.now().timestamp()))  # as a frame would
    assert state(hub, "sensor.north_free_spaces") == "5"
    await setup_parking({"lots": {"north": {"cameras": ["camera.north_gate"]}}})
    return hub


async def reserve(hub: Hub, **data: Any) -> dict[str, Any]:
    result: dict[str, Any] = await hub.services.async_call("parking", "reserve", data)
    await hub.async_block_till_done()
    return result


def attributes(hub: Hub, entity_id: str) -> dict[str, Any]:
    found = hub.states.get(entity_id)
    assert found is not None
    return dict(found.attributes)


async def test_reserved_spaces_show_in_occupancy(north: Hub, clock: Clock) -> None:
    hub = north
    changes = recorded(hub, "parking_reservations_changed")
    await reserve(hub, plate="NL42RES", slot="a1", duration="2h")
    assert changes[-1].data == {
        "lot": "north",
        "parking_lot": "north",
        "slots": ["a1"],
        "count_any": 0,
    }
    assert attributes(hub, "binary_sensor.north_slot_a1")["reserved"] is True
    assert attributes(hub, "binary_sensor.north_slot_a2")["reserved"] is False
    assert state(hub, "sensor.north_free_spaces") == "4"
    assert attributes(hub, "sensor.north_free_spaces")["reserved"] == 1

    await reserve(hub, plate="KA01AB1234", duration="1h")  # any space
    assert state(hub, "sensor.north_free_spaces") == "3"
    assert attributes(hub, "sensor.north_free_spaces")["reserved"] == 2
    assert state(hub, "sensor.north_reservations") == "2"

    # The any-space car arrives: it takes a real space, so its hold is released.
    read_plate(hub, "KA01AB1234", camera="camera.north_gate", direction="entry")
    await hub.async_block_till_done()
    assert attributes(hub, "sensor.north_free_spaces")["reserved"] == 1
    [row] = await db_rows(hub, "SELECT status FROM reservations WHERE plate = 'KA01AB1234'")
    assert row["status"] == "used"
    [session] = await db_rows(hub, "SELECT reservation_id FROM sessions")
    assert session["reservation_id"] is not None

    # The slot reservation's window closes after two hours.
    await clock.advance(hours=2)
    assert attributes(hub, "binary_sensor.north_slot_a1")["reserved"] is False
    assert state(hub, "sensor.north_free_spaces") == "5"
    assert state(hub, "sensor.north_reservations") == "0"


async def test_clashes_are_refused_with_the_reason(north: Hub, clock: Clock) -> None:
    hub = north
    first = await reserve(
        hub,
        plate="NL42RES",
        slot="a1",
        start="2026-03-02T10:00:00+00:00",
        end="2026-03-02T12:00:00+00:00",
    )
    with pytest.raises(ServiceValidationError) as err:
        await reserve(
            hub, plate="PH12CAR", slot="a1", start="2026-03-02T11:30:00+00:00", duration="1h"
        )
    assert str(err.value) == (
        "slot: space a1 in lot north is already reserved from "
        "2026-03-02T10:00:00+00:00 to 2026-03-02T12:00:00+00:00"
    )
    assert first["id"] not in str(err.value)  # another's booking: not the caller's to read
    # Back to back is fine.
    await reserve(hub, plate="PH12CAR", slot="a1", start="2026-03-02T12:00:00+00:00", duration="1h")
    with pytest.raises(ServiceValidationError, match="slot: lot north has no space zz"):
        await reserve(hub, plate="PH12CAR", slot="zz", duration="1h")
    with pytest.raises(ServiceValidationError, match="end: must be after start"):
        await reserve(hub, plate="AB12", start="2026-03-02T12:00:00", end="2026-03-02T11:00:00")
    with pytest.raises(ServiceValidationError, match="plate: NL42RES already has reservation"):
        await reserve(hub, plate="NL42RES", start="2026-03-02T09:00:00", duration="2h")
    # Six spaces: five more any-space reservations over 10:00-12:00 fit, a sixth does not.
    for n in range(5):
        await reserve(hub, plate=f"CAR{n}", start="2026-03-02T10:30:00", duration="1h")
    with pytest.raises(ServiceValidationError) as err:
        await reserve(hub, plate="CAR9", start="2026-03-02T11:00:00", duration="30m")
    assert str(err.value) == (
        "lot: north has 6 spaces and 6 reservations already overlap "
        "2026-03-02T11:00:00+00:00 to 2026-03-02T11:30:00+00:00"
    )


async def test_unused_reservation_expires(north: Hub, clock: Clock) -> None:
    hub = north
    expired = recorded(hub, "parking_reservation_expired")
    booked = await reserve(
        hub, plate="PH12CAR", slot="a2", start="2026-03-02T09:00:00", duration="3h"
    )
    assert attributes(hub, "binary_sensor.north_slot_a2")["reserved"] is False  # not yet
    await clock.advance(hours=1)  # 09:00: the window opens
    assert attributes(hub, "binary_sensor.north_slot_a2")["reserved"] is True
    await clock.advance(minutes=29)
    assert expired == []
    await clock.advance(minutes=1)  # 30 minutes' grace, no car
    [event] = expired
    assert event.data["id"] == booked["id"]
    assert event.data["status"] == "expired"
    assert attributes(hub, "binary_sensor.north_slot_a2")["reserved"] is False
    [row] = await db_rows(hub, "SELECT status FROM reservations")
    assert row["status"] == "expired"


async def test_cancel_and_rest(
    app: web.Application,  # before `north`: routes are added to an app that exists
    north: Hub,
    clock: Clock,
    aiohttp_client: AiohttpClient,
    auth_header: dict[str, str],
) -> None:
    hub = north
    client = await aiohttp_client(app, headers=auth_header)
    booked = await reserve(hub, plate="NL42RES", slot="a3", duration="1h", note="visitor")
    listed = await (await client.get("/api/parking/reservations", params={"active": "1"})).json()
    assert [item["id"] for item in listed["reservations"]] == [booked["id"]]
    assert listed["reservations"][0]["note"] == "visitor"
    await hub.services.async_call("parking", "cancel_reservation", {"reservation_id": booked["id"]})
    await hub.async_block_till_done()
    assert attributes(hub, "binary_sensor.north_slot_a3")["reserved"] is False
    listed = await (await client.get("/api/parking/reservations", params={"active": "1"})).json()
    assert listed["reservations"] == []
    every = await (
        await client.get("/api/parking/reservations", params={"plate": "NL42RES"})
    ).json()
    assert [item["status"] for item in every["reservations"]] == ["cancelled"]


async def test_late_booking_gets_its_grace_from_the_booking(north: Hub, clock: Clock) -> None:
    hub = north
    expired = recorded(hub, "parking_reservation_expired")
    await reserve(hub, plate="PH12CAR", start="2026-03-02T06:00:00", duration="4h")  # 2 h ago
    await clock.advance(minutes=29)
    assert expired == []
    read_plate(hub, "PH12CAR", camera="camera.north_gate", direction="entry")
    await clock.advance(minutes=5)
    assert expired == []
    [row] = await db_rows(hub, "SELECT status FROM reservations")
    assert row["status"] == "used"
