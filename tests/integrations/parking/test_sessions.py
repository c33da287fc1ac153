"""Plate reads at entry and exit make sessions with a fee, on the hub's clock and zone."""

from __future__ import annotations

from typing import Any

import pytest
import voluptuous as vol

from hub.config import HubConfig
from hub.core.hub import Hub
from hub.integrations.parking import CONFIG_SCHEMA
from hub.integrations.parking.config import parking_config
from tests.conftest import Clock

from .conftest import SetupParking, db_rows, recorded, state
from .payloads import read_plate


@pytest.fixture
def hub_config() -> HubConfig:
    return HubConfig(time_zone="Europe/Amsterdam", currency="EUR")


async def test_entry_then_exit_charges_the_stay(
    hub: Hub, clock: Clock, setup_parking: SetupParking
) -> None:
    await setup_parking()
    started = recorded(hub, "parking_session_started")
    ended = recorded(hub, "parking_session_ended")
    assert state(hub, "sensor.demo_active_sessions") == "0"
    assert state(hub, "sensor.demo_revenue_today") == "0.00"

    entry_read = read_plate(hub, "KA01AB1234")
    await hub.async_block_till_done()
    [event] = started
    assert event.context == entry_read
    assert event.data["plate"] == "KA01AB1234"
    assert event.data["lot"] == "demo"
    assert event.data["entry_time"] == "2026-03-02T08:00:00+00:00"
    assert event.data["entry_snapshot"] == "/data/lpr/KA01AB1234.jpg"
    assert event.data["status"] == "open"
    assert state(hub, "sensor.demo_active_sessions") == "1"
    [row] = await db_rows(hub)
    assert (row["plate"], row["status"], row["id"]) == ("KA01AB1234", "open", event.data["id"])

    await clock.advance(hours=2, minutes=30)
    read_plate(hub, "KA01AB1234", camera="camera.exit", direction="exit")
    await hub.async_block_till_done()
    [done] = ended
    assert done.data["id"] == event.data["id"]
    assert done.data["duration_s"] == 9000
    assert done.data["fee"] == 750  # three started hours at 2.50
    assert done.data["currency"] == "EUR"
    assert done.data["paid"] is False
    assert done.data["exit_camera"] == "camera.exit"
    assert state(hub, "sensor.demo_active_sessions") == "0"
    revenue = hub.states.get("sensor.demo_revenue_today")
    assert revenue is not None
    assert revenue.state == "7.50"
    assert revenue.attributes["minor_units"] == 750
    assert revenue.attributes["unit_of_measurement"] == "EUR"
    [row] = await db_rows(hub)
    assert (row["status"], row["fee"], row["exit_time"]) == (
        "closed",
        750,
        row["entry_time"] + 9000,
    )


@pytest.mark.parametrize(
    ("minutes", "extra", "fee"),
    [
        (10, {}, 0),  # inside the 15-minute grace
        (20, {}, 250),
        (600, {"list": "residents", "listed": "allow"}, 0),  # residents park free
        (600, {}, 1500),  # ten hours, capped by the daily maximum
    ],
)
async def test_fees(
    hub: Hub,
    clock: Clock,
    setup_parking: SetupParking,
    minutes: int,
    extra: dict[str, Any],
    fee: int,
) -> None:
    await setup_parking()
    ended = recorded(hub, "parking_session_ended")
    read_plate(hub, "NL42RES", **extra)
    await clock.advance(minutes=minutes)
    read_plate(hub, "NL42RES", camera="camera.exit", direction="exit")
    await hub.async_block_till_done()
    assert ended[0].data["fee"] == fee
    assert ended[0].data["paid"] is (fee == 0)


async def test_night_rate_and_revenue_reset_at_local_midnight(
    hub: Hub, clock: Clock, setup_parking: SetupParking, parking_config: dict[str, Any]
) -> None:
    parking_config["lots"]["demo"]["tariff"] = {
        "rate": 300,
        "time_rates": [{"from": "22:00", "to": "06:00", "rate": 100}],
    }
    await setup_parking()
    ended = recorded(hub, "parking_session_ended")
    # 08:00 UTC is 09:00 in Amsterdam; move to 20:30 local.
    await clock.advance(hours=11, minutes=30)
    read_plate(hub, "PH12CAR")
    await clock.advance(hours=3)  # 23:30 local
    read_plate(hub, "PH12CAR", camera="camera.exit", direction="exit")
    await hub.async_block_till_done()
    # Periods start 20:30 and 21:30 (day rate), 22:30 (night rate).
    assert ended[0].data["fee"] == 300 + 300 + 100
    assert state(hub, "sensor.demo_revenue_today") == "7.00"
    await clock.advance(minutes=31)  # 00:01 local, the next day
    assert state(hub, "sensor.demo_revenue_today") == "0.00"


async def test_unknown_direction_and_a_single_default_lot(
    hub: Hub, clock: Clock, setup_parking: SetupParking
) -> None:
    """`parking: {}` is one lot taking every camera; a two-way camera's reads go in, then out."""
    await setup_parking({})
    read_plate(hub, "KA01AB1234", camera="camera.gate", direction="unknown")
    await hub.async_block_till_done()
    assert state(hub, "sensor.lot_active_sessions") == "1"
    await clock.advance(minutes=5)
    read_plate(hub, "KA01AB1234", camera="camera.gate", direction="unknown")
    await hub.async_block_till_done()
    assert state(hub, "sensor.lot_active_sessions") == "0"
    [row] = await db_rows(hub)
    assert (row["lot"], row["status"], row["fee"]) == ("lot", "closed", 0)


async def test_garbled_reads_are_dropped(
    hub: Hub, clock: Clock, setup_parking: SetupParking, caplog: pytest.LogCaptureFixture
) -> None:
    await setup_parking()
    hub.bus.async_fire("plate_detected", {"plate": None, "camera": "camera.entry"})
    hub.bus.async_fire("plate_detected", {"plate": 42, "camera": ["x"]})
    hub.bus.async_fire("plate_detected", {"plate": "AB12CD", "camera": "camera.other"})
    exit = {"plate": "ZZ1", "camera": "camera.exit", "candidates": 5, "list": ["x"]}
    hub.bus.async_fire("plate_detected", exit)
    await hub.async_block_till_done()
    assert state(hub, "sensor.demo_active_sessions") == "0"
    assert "without a plate" in caplog.text
    # A good read afterwards still works.
    read_plate(hub, "KA01AB1234")
    await hub.async_block_till_done()
    assert state(hub, "sensor.demo_active_sessions") == "1"


async def test_occupancy_surcharge_is_decided_at_entry(
    hub: Hub, clock: Clock, setup_parking: SetupParking, parking_config: dict[str, Any]
) -> None:
    parking_config["lots"]["demo"]["tariff"] = {
        "rate": 200,
        "surcharge": {"below_free": 3, "multiplier": 1.5},
    }
    await setup_parking()
    ended = recorded(hub, "parking_session_ended")
    hub.states.async_set("sensor.demo_free_spaces", "2", {"total": 24})
    read_plate(hub, "AA11BB")
    hub.states.async_set("sensor.demo_free_spaces", "10", {"total": 24})
    read_plate(hub, "CC22DD")
    await clock.advance(hours=2)
    read_plate(hub, "AA11BB", camera="camera.exit", direction="exit")
    read_plate(hub, "CC22DD", camera="camera.exit", direction="exit")
    await hub.async_block_till_done()
    fees = {event.data["plate"]: event.data["fee"] for event in ended}
    assert fees == {"AA11BB": 600, "CC22DD": 400}


def test_parking_takes_a_postgres_url_only() -> None:
    url = "postgresql://parkhub@db.example/parkhub"
    assert parking_config(CONFIG_SCHEMA({"db_url": url})).db_url == url
    assert parking_config(CONFIG_SCHEMA({})).db_url is None
    with pytest.raises(vol.Invalid, match="db_url"):
        CONFIG_SCHEMA({"db_url": "sqlite:///parking.db"})
