"""Sessions and reservations survive a restart: a new hub on the same data directory."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hub.core.hub import Hub
from hub.integrations.parking import CONFIG_SCHEMA, async_setup
from tests.integrations.conftest import FROZEN_AT, StartHub

from .conftest import LOT, db_rows, recorded, state
from .payloads import plate_data, read_plate


async def _start(start_hub: StartHub, at: datetime) -> Hub:
    hub = await start_hub(at=at)
    await async_setup(hub, CONFIG_SCHEMA(LOT))
    return hub


async def test_open_sessions_come_back_with_their_timers(start_hub: StartHub) -> None:
    first = await _start(start_hub, FROZEN_AT)
    overstays_before = recorded(first, "overstay")
    read_plate(first, "PH12CAR")  # overstays at 12:00 (4 h)
    read_plate(first, "KA01AB1234")
    await first.scheduler.async_advance(timedelta(minutes=30))
    read_plate(first, "KA01AB1234", camera="camera.exit", direction="exit")
    read_plate(first, "NL42RES")
    await first.scheduler.async_advance(timedelta(hours=3, minutes=45))  # 12:15
    assert [e.data["plate"] for e in overstays_before] == ["PH12CAR"]
    await first.services.async_call(
        "parking", "reserve", {"plate": "KA01AB1234", "slot": "a1", "duration": "8h"}
    )
    await first.async_block_till_done()
    await first.async_stop()

    # Stopped at 12:15, back at 13:30.
    second = await _start(start_hub, FROZEN_AT + timedelta(hours=5, minutes=30))
    overstays = recorded(second, "overstay")
    ended = recorded(second, "parking_session_ended")
    assert state(second, "sensor.demo_active_sessions") == "2"
    revenue = second.states.get("sensor.demo_revenue_today")
    assert revenue is not None
    assert revenue.attributes["minor_units"] == 250
    assert state(second, "sensor.demo_reservations") == "1"
    # NL42RES came in at 08:30: its limit (12:30) passed while the hub was down, so it
    # fires on the first tick; PH12CAR's overstay was already told and is not repeated.
    await second.scheduler.async_advance(timedelta(seconds=1))
    assert [e.data["plate"] for e in overstays] == ["NL42RES"]
    assert overstays[0].data["minutes"] == 60

    read_plate(second, "PH12CAR", camera="camera.exit", direction="exit")
    await second.async_block_till_done()
    [done] = ended
    assert done.data["entry_time"] == FROZEN_AT.isoformat()
    assert done.data["duration_s"] == 5.5 * 3600 + 1
    assert done.data["fee"] == 1500  # 6 started hours at 2.50, the daily maximum
    rows: list[dict[str, Any]] = await db_rows(second, "SELECT * FROM sessions ORDER BY plate")
    assert [(row["plate"], row["status"]) for row in rows] == [
        ("KA01AB1234", "closed"),
        ("NL42RES", "open"),
        ("PH12CAR", "closed"),
    ]
    assert datetime.fromtimestamp(rows[2]["exit_time"], UTC) > FROZEN_AT


async def test_a_read_delivered_again_after_a_restart_changes_nothing(
    start_hub: StartHub,
) -> None:
    """A worker node's read keeps its id as its context on the central; a central killed
    after the session was committed but before the read was acknowledged gets the same
    read again after its restart: no second session, no anomaly, no second exit."""
    first = await _start(start_hub, FROZEN_AT)
    entry = read_plate(first, "KA01AB1234")
    await first.scheduler.async_advance(timedelta(minutes=30))
    exit_read = read_plate(first, "KA01AB1234", camera="camera.exit", direction="exit")
    entry_other = read_plate(first, "NL42RES")
    await first.async_block_till_done()
    await first.async_stop()

    second = await _start(start_hub, FROZEN_AT + timedelta(hours=1))
    anomalies = recorded(second, "anomaly")
    started = recorded(second, "parking_session_started")
    ended = recorded(second, "parking_session_ended")
    for context, camera, direction in (
        (entry, "camera.entry", "entry"),
        (exit_read, "camera.exit", "exit"),
        (entry_other, "camera.entry", "entry"),
    ):
        data = plate_data(
            "KA01AB1234" if context is not entry_other else "NL42RES", camera, direction
        )
        second.bus.async_fire("plate_detected", data, context=context)
    await second.async_block_till_done()
    assert (anomalies, started, ended) == ([], [], [])
    rows: list[dict[str, Any]] = await db_rows(second, "SELECT * FROM sessions ORDER BY plate")
    assert [(row["plate"], row["status"]) for row in rows] == [
        ("KA01AB1234", "closed"),
        ("NL42RES", "open"),
    ]
    assert rows[0]["exit_context_id"] == exit_read.id
    # A new read of the same car (a new context) is a new pass: it starts a session.
    read_plate(second, "KA01AB1234")
    await second.async_block_till_done()
    assert [event.data["plate"] for event in started] == ["KA01AB1234"]
