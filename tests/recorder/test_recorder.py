"""Recording: commit batching, attributes, exclusions, removals, events, the queue bound."""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

import pytest

from hub.core.context import Context
from hub.core.hub import Hub
from hub.recorder import Recorder, async_setup_recorder
from tests.conftest import FROZEN_AT, Clock

from .conftest import count_rows


async def test_nothing_is_written_before_the_commit_interval(
    hub: Hub, clock: Clock, recorder: Recorder
) -> None:
    db_path = recorder.config
    for value in range(50):
        hub.states.async_set("sensor.free_spaces", str(value))
    hub.bus.async_fire("plate_detected", {"plate": "KA01AB1234"})

    await clock.advance(0.9)
    assert await count_rows(db_path, "states") == 0
    assert await count_rows(db_path, "events", "event_type = 'plate_detected'") == 0

    await clock.advance(0.1)
    assert await count_rows(db_path, "states") == 50
    assert await count_rows(db_path, "events", "event_type = 'plate_detected'") == 1


async def test_an_idle_recorder_arms_no_commit_timer(
    hub: Hub, clock: Clock, recorder: Recorder
) -> None:
    await recorder.async_flush()
    before = hub.scheduler.pending  # the hourly statistics and the daily purge
    hub.states.async_set("sensor.free_spaces", "3")
    assert hub.scheduler.pending == before + 1
    await clock.advance(1)
    assert hub.scheduler.pending == before


async def test_attributes_round_trip_and_are_stored_once(
    hub: Hub, clock: Clock, recorder: Recorder
) -> None:
    attributes: dict[str, Any] = {
        "friendly_name": "Einfahrt Süd ✓",
        "confidence": 0.93,
        "reserved": False,
        "plate": None,
        "slots": [1, 2, 3],
        "nested": {"polygon": [[0, 0], [1, 0], [1, 1]]},
    }
    hub.states.async_set("gate.entry", "closed", attributes)
    hub.states.async_set("gate.exit", "closed", attributes)
    hub.states.async_set("gate.side", "open")

    history = await recorder.async_history(None, FROZEN_AT)

    assert history["gate.entry"][0]["attributes"] == attributes
    assert history["gate.exit"][0]["attributes"] == attributes
    assert history["gate.side"][0]["attributes"] == {}
    assert await count_rows(recorder.config, "state_attributes") == 1


async def test_history_entries_have_the_api_shape(
    hub: Hub, clock: Clock, recorder: Recorder
) -> None:
    hub.states.async_set("sensor.lot_active_sessions", "4", {"unit": "sessions"})
    history = await recorder.async_history(["sensor.lot_active_sessions"], FROZEN_AT)
    assert history == {
        "sensor.lot_active_sessions": [
            {
                "entity_id": "sensor.lot_active_sessions",
                "state": "4",
                "attributes": {"unit": "sessions"},
                "last_changed": FROZEN_AT.isoformat(),
                "last_updated": FROZEN_AT.isoformat(),
            }
        ]
    }


@pytest.mark.parametrize(
    "recorder_options",
    [
        {
            "exclude": {
                "domains": ["automation"],
                "entities": ["sensor.*_debug", "camera.test"],
                "event_types": ["noisy_event"],
            }
        }
    ],
)
async def test_excluded_entities_and_events_are_not_recorded(
    hub: Hub, clock: Clock, recorder: Recorder
) -> None:
    hub.states.async_set("automation.open_for_residents", "on")
    hub.states.async_set("sensor.lpr_debug", "frame 12")
    hub.states.async_set("camera.test", "streaming")
    hub.states.async_set("camera.entry", "streaming")
    hub.states.async_set("sensor.lot_free_spaces", "12")
    hub.bus.async_fire("noisy_event")
    hub.bus.async_fire("gate_command", {"command": "OPEN"})

    history = await recorder.async_history(None, FROZEN_AT)
    events = await recorder.async_events(None, FROZEN_AT)

    assert sorted(history) == ["camera.entry", "sensor.lot_free_spaces"]
    types = {event["event_type"] for event in events}
    assert "gate_command" in types
    assert "noisy_event" not in types


async def test_events_keep_data_origin_and_context(
    hub: Hub, clock: Clock, recorder: Recorder
) -> None:
    cause = Context(user_id="operator")
    context = cause.child()
    hub.bus.async_fire("plate_detected", {"plate": "KA01AB1234", "camera": "camera.entry"})
    await clock.advance(5)
    hub.bus.async_fire("gate_command", {"gate": "gate.entry", "command": "OPEN"}, context=context)

    events = await recorder.async_events(["gate_command", "plate_detected"], FROZEN_AT)

    assert [event["event_type"] for event in events] == ["plate_detected", "gate_command"]
    gate = events[1]
    assert gate["data"] == {"gate": "gate.entry", "command": "OPEN"}
    assert gate["origin"] == "LOCAL"
    assert gate["context"] == {"id": context.id, "parent_id": cause.id, "user_id": "operator"}
    assert gate["time_fired"] == "2026-03-02T08:00:05+00:00"
    later = await recorder.async_events(["plate_detected"], FROZEN_AT.replace(second=1))
    assert later == []


async def test_a_removed_entity_shows_where_it_went_away(
    hub: Hub, clock: Clock, recorder: Recorder
) -> None:
    hub.states.async_set("binary_sensor.lot_slot_7", "on")
    await clock.advance(30)
    hub.states.async_remove("binary_sensor.lot_slot_7")

    history = await recorder.async_history(["binary_sensor.lot_slot_7"], FROZEN_AT)

    entries = history["binary_sensor.lot_slot_7"]
    assert [entry["state"] for entry in entries] == ["on", None]
    assert entries[1]["last_updated"] == "2026-03-02T08:00:30+00:00"


async def test_a_full_queue_drops_and_warns_once(
    hub: Hub, clock: Clock, recorder: Recorder, caplog: pytest.LogCaptureFixture
) -> None:
    await recorder.async_close()
    small = dataclasses.replace(recorder.config, max_queue=10)
    recorder = await async_setup_recorder(hub, small)
    await recorder.async_flush()  # its own service_registered event
    caplog.set_level(logging.WARNING, "hub.recorder")
    for value in range(25):
        hub.states.async_set("sensor.counter", str(value))
    await recorder.async_flush()

    full = [r for r in caplog.records if "queue is full" in r.getMessage()]
    assert len(full) == 1
    assert any("15 events were dropped" in r.getMessage() for r in caplog.records)
    assert await count_rows(small, "states") == 10


async def test_stop_writes_what_is_queued(hub: Hub, clock: Clock, recorder: Recorder) -> None:
    hub.states.async_set("gate.entry", "open")
    await hub.async_stop()
    assert await count_rows(recorder.config, "states") == 1
    assert await count_rows(recorder.config, "events", "event_type = 'hub_stop'") == 1
