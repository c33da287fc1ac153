"""Hourly statistics: time-weighted mean, min and max of numeric sensors."""

from __future__ import annotations

from datetime import timedelta

import pytest

from hub.core.hub import Hub
from hub.recorder import Recorder
from hub.recorder.statistics import compile_hour
from tests.conftest import FROZEN_AT, Clock

from .conftest import Restart

START = FROZEN_AT.timestamp()


async def test_hourly_statistics_are_compiled_after_the_hour(
    hub: Hub, clock: Clock, recorder: Recorder
) -> None:
    # 08:00-08:15 at 10, 08:15-08:45 at 20, then unavailable: it counts for nothing.
    hub.states.async_set("sensor.lot_free_spaces", "10")
    hub.states.async_set("binary_sensor.lot_slot_1", "on")  # not a sensor: no statistics
    hub.states.async_set("sensor.last_plate", "KA01AB1234")  # not numeric: no statistics
    await clock.advance(minutes=15)
    hub.states.async_set("sensor.lot_free_spaces", "20")
    await clock.advance(minutes=30)
    hub.states.async_set("sensor.lot_free_spaces", "unavailable")
    await clock.advance(minutes=45)  # 09:30: the 08:00 hour is compiled by now
    hub.states.async_set("sensor.lot_free_spaces", "30")
    await clock.advance(minutes=30, seconds=10)  # 10:00:10: and the 09:00 hour

    ids = ["sensor.lot_free_spaces", "sensor.last_plate", "binary_sensor.lot_slot_1"]
    stats = await recorder.async_statistics(ids, FROZEN_AT)

    assert list(stats) == ["sensor.lot_free_spaces"]
    first, second = stats["sensor.lot_free_spaces"]
    assert first["start"] == "2026-03-02T08:00:00+00:00"
    assert first["mean"] == pytest.approx((10 * 15 + 20 * 30) / 45)
    assert (first["min"], first["max"]) == (10, 20)
    # 09:00 starts unavailable (carried in from 08:45); 30 from 09:30.
    assert second == {"start": "2026-03-02T09:00:00+00:00", "mean": 30, "min": 30, "max": 30}
    later = await recorder.async_statistics(ids, FROZEN_AT + timedelta(minutes=30))
    assert [row["start"] for row in later["sensor.lot_free_spaces"]] == [second["start"]]


async def test_missed_hours_are_caught_up_after_a_restart(
    hub: Hub, clock: Clock, recorder: Recorder, restart: Restart
) -> None:
    hub.states.async_set("sensor.lot_free_spaces", "5")
    await clock.advance(minutes=59)
    await hub.async_stop()  # down at 08:59, before the 08:00 hour was compiled
    await clock.advance(minutes=90)  # and up again at 10:29

    new = await restart()
    assert new.recorder is not None
    await new.scheduler.async_advance(timedelta(hours=1))  # 11:00:10 catches up

    stats = await new.recorder.async_statistics(["sensor.lot_free_spaces"], FROZEN_AT)
    rows = stats["sensor.lot_free_spaces"]
    assert [row["start"][11:16] for row in rows] == ["08:00", "09:00", "10:00"]
    assert all(row["mean"] == 5 for row in rows)


def test_compile_hour_weights_by_time_and_carries_the_start_state() -> None:
    rows = [
        ("sensor.a", "4", START - 600),  # in effect at the start of the hour
        ("sensor.a", "8", START + 2700),
        ("sensor.b", "nan", START),
        ("sensor.c", "1", START + 100),
        ("sensor.c", None, START + 200),  # removed
    ]
    result = {row[0]: row[2:] for row in compile_hour(rows, START)}
    assert result["sensor.a"] == pytest.approx((5.0, 4.0, 8.0))
    assert "sensor.b" not in result
    assert result["sensor.c"] == (1.0, 1.0, 1.0)
