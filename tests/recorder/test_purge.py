"""Purge: daily at purge_time in the hub's time zone, and on demand through `recorder.purge`."""

from __future__ import annotations

import pytest

from hub.config import HubConfig
from hub.core.exceptions import ServiceValidationError
from hub.core.hub import Hub
from hub.recorder import Recorder
from tests.conftest import FROZEN_AT, Clock

from .conftest import count_rows


@pytest.mark.parametrize("recorder_options", [{"keep_days": 2}])
async def test_daily_purge_forgets_what_is_older_than_keep_days(
    hub: Hub, clock: Clock, recorder: Recorder
) -> None:
    hub.states.async_set("sensor.lot_free_spaces", "40", {"total": 50, "occupied": 10})
    await clock.advance(60)
    hub.states.async_set("sensor.lot_free_spaces", "39", {"total": 50, "occupied": 11})
    hub.states.async_set("binary_sensor.lot_slot_1", "on")
    hub.states.async_remove("binary_sensor.lot_slot_1")
    hub.bus.async_fire("plate_detected", {"plate": "KA01AB1234"})
    await clock.advance(days=1)
    hub.states.async_set("gate.entry", "open")  # 03-03 08:01, younger than the cutoff below

    await clock.advance(days=2)  # 03-05 08:01; the 04:12 purge cut at 03-03 04:12

    history = await recorder.async_history(None, FROZEN_AT)
    assert {entity: [e["state"] for e in entries] for entity, entries in history.items()} == {
        # Old, but still its current state: kept, or a restart would forget it.
        "sensor.lot_free_spaces": ["39"],
        "gate.entry": ["open"],
    }
    assert await recorder.async_events(["plate_detected"], FROZEN_AT) == []
    db_path = recorder.config
    assert await count_rows(db_path, "state_attributes") == 1  # the blob of "40" went too
    assert await count_rows(db_path, "states_meta") == 2  # the removed slot is forgotten
    # New changes of a purged entity are recorded as usual.
    hub.states.async_set("binary_sensor.lot_slot_1", "off")
    history = await recorder.async_history(["binary_sensor.lot_slot_1"], FROZEN_AT)
    assert [entry["state"] for entry in history["binary_sensor.lot_slot_1"]] == ["off"]


@pytest.mark.parametrize("hub_config", [HubConfig(time_zone="Asia/Kolkata")])
@pytest.mark.parametrize("recorder_options", [{"keep_days": 1, "purge_time": "04:12"}])
async def test_purge_runs_at_purge_time_in_the_hub_time_zone(
    hub: Hub, clock: Clock, recorder: Recorder
) -> None:
    hub.bus.async_fire("plate_detected", {"plate": "KA01AB1234"})
    # 04:12 in Kolkata is 22:42 UTC. The 03-02 22:42 run keeps the event (cutoff
    # 03-01 22:42); the 03-03 22:42 run drops it. A UTC purge would run at 04:12 UTC.
    await clock.advance(days=1, hours=14, minutes=41)  # 03-03 22:41 UTC
    assert len(await recorder.async_events(["plate_detected"], FROZEN_AT)) == 1
    await clock.advance(minutes=2)
    assert await recorder.async_events(["plate_detected"], FROZEN_AT) == []


async def test_purge_service_purges_now(hub: Hub, clock: Clock, recorder: Recorder) -> None:
    hub.states.async_set("gate.entry", "closed")
    await clock.advance(60)
    hub.states.async_set("gate.entry", "open")
    hub.bus.async_fire("gate_command", {"command": "OPEN"})
    await clock.advance(60)

    await hub.services.async_call("recorder", "purge", {"keep_days": 0})

    history = await recorder.async_history(["gate.entry"], FROZEN_AT)
    assert [entry["state"] for entry in history["gate.entry"]] == ["open"]
    assert await recorder.async_events(["gate_command"], FROZEN_AT) == []
    with pytest.raises(ServiceValidationError, match="keep_days"):
        await hub.services.async_call("recorder", "purge", {"keep_days": -1})
