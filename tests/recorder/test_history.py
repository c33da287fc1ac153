"""History and the restore cache, within a run and across a restart."""

from __future__ import annotations

from datetime import timedelta

from hub.core.context import Context
from hub.core.hub import Hub
from hub.recorder import Recorder
from tests.conftest import FROZEN_AT, Clock

from .conftest import Restart

HOUR = timedelta(hours=1)


def _states(history: dict[str, list[dict[str, object]]], entity_id: str) -> list[object]:
    return [entry["state"] for entry in history.get(entity_id, [])]


async def test_history_includes_the_state_in_effect_at_start(
    hub: Hub, clock: Clock, recorder: Recorder
) -> None:
    hub.states.async_set("gate.entry", "closed")
    hub.states.async_set("gate.exit", "closed")
    await clock.advance(3600)
    hub.states.async_set("gate.entry", "open")
    await clock.advance(3600)
    hub.states.async_set("gate.entry", "closed")

    history = await recorder.async_history(["gate.entry", "gate.exit"], FROZEN_AT + 1.5 * HOUR)

    assert _states(history, "gate.entry") == ["open", "closed"]
    # The leading entry keeps its real time: the gate opened at 09:00.
    assert history["gate.entry"][0]["last_changed"] == "2026-03-02T09:00:00+00:00"
    # Unchanged since before the window: just the state in effect.
    assert _states(history, "gate.exit") == ["closed"]


async def test_history_window_end_is_exclusive(hub: Hub, clock: Clock, recorder: Recorder) -> None:
    for state in ("1", "2", "3"):
        hub.states.async_set("sensor.lot_free_spaces", state)
        await clock.advance(600)

    history = await recorder.async_history(
        ["sensor.lot_free_spaces"], FROZEN_AT, FROZEN_AT + timedelta(minutes=20)
    )

    assert _states(history, "sensor.lot_free_spaces") == ["1", "2"]


async def test_history_leaves_out_entities_removed_before_start_and_unknown_ones(
    hub: Hub, clock: Clock, recorder: Recorder
) -> None:
    hub.states.async_set("binary_sensor.lot_slot_1", "on")
    hub.states.async_remove("binary_sensor.lot_slot_1")
    await clock.advance(60)

    history = await recorder.async_history(
        ["binary_sensor.lot_slot_1", "sensor.never_seen"], FROZEN_AT + timedelta(seconds=30)
    )

    assert history == {}


async def test_history_survives_a_restart(
    hub: Hub, clock: Clock, recorder: Recorder, restart: Restart
) -> None:
    hub.states.async_set("sensor.lot_free_spaces", "40", {"total": 50})
    await clock.advance(60)
    hub.states.async_set("sensor.lot_free_spaces", "39", {"total": 50})
    hub.bus.async_fire("plate_detected", {"plate": "KA01AB1234"})
    await hub.async_stop()  # the last change is still queued: stop must write it

    new = await restart()
    assert new.recorder is not None
    history = await new.recorder.async_history(["sensor.lot_free_spaces"], FROZEN_AT)
    events = await new.recorder.async_events(["plate_detected"], FROZEN_AT)

    assert _states(history, "sensor.lot_free_spaces") == ["40", "39"]
    assert history["sensor.lot_free_spaces"][1]["attributes"] == {"total": 50}
    assert [event["data"] for event in events] == [{"plate": "KA01AB1234"}]


async def test_restore_cache_after_restart(
    hub: Hub, clock: Clock, recorder: Recorder, restart: Restart
) -> None:
    context = Context(user_id="admin")
    hub.states.async_set("gate.entry", "closed", {"last_command": "CLOSE"}, context=context)
    await clock.advance(120)
    # Same state, new attributes: last_changed stays, last_updated moves.
    hub.states.async_set("gate.entry", "closed", {"last_command": "CLOSE", "last_plate": "X1"})
    hub.states.async_set("binary_sensor.lot_slot_3", "on")
    hub.states.async_remove("binary_sensor.lot_slot_3")
    assert recorder.last_state("gate.entry") is None  # nothing was stored before this run
    await hub.async_stop()

    new = await restart()
    assert new.recorder is not None
    restored = new.recorder.last_state("gate.entry")

    assert restored is not None
    assert restored.state == "closed"
    assert dict(restored.attributes) == {"last_command": "CLOSE", "last_plate": "X1"}
    assert restored.last_changed == FROZEN_AT
    assert restored.last_updated == FROZEN_AT + timedelta(seconds=120)
    assert new.recorder.last_state("binary_sensor.lot_slot_3") is None
    assert new.recorder.last_state("sensor.unknown") is None
    # The entity layer decides whether to restore; the recorder only offers it.
    new.states.async_restore(restored)
    assert new.states.get("gate.entry") == restored
