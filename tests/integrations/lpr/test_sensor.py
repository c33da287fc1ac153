"""`sensor.<camera>_last_plate`: follows each report, and comes back after a restart."""

from __future__ import annotations

import pytest

from hub.core.context import Context
from hub.core.hub import Hub
from hub.integrations import camera, lpr
from hub.integrations.lpr.config import CameraSettings
from hub.integrations.lpr.reader import PlateRead
from hub.integrations.lpr.runtime import LprRuntime
from hub.integrations.lpr.voting import Candidate, Vote
from tests.conftest import LogGuard
from tests.integrations.conftest import StartHub

from .lpr_setup import LISTS, record, use_shared_engine

CAMERAS = {"cameras": [{"id": "gate_cam", "source": "file", "path": "missing.mjpeg"}]}


async def _setup(hub: Hub) -> LprRuntime:
    await camera.async_setup(hub, camera.CONFIG_SCHEMA(CAMERAS))
    config = {"cameras": [{"camera": "camera.gate_cam", "role": "both"}], "lists": LISTS}
    assert await lpr.async_setup(hub, lpr.CONFIG_SCHEMA(config))
    runtime: LprRuntime = hub.data["lpr"]
    return runtime


def _vote(plate: str, at: float) -> Vote:
    read = PlateRead(plate, 0.88, (10, 20, 120, 30), plate, "uk")
    return Vote(plate, 0.88, 2, read, None, at, at, [Candidate("PH12CAB", 0.4, 1)])


async def test_the_sensor_follows_reports_and_survives_a_restart(
    start_hub: StartHub, monkeypatch: pytest.MonkeyPatch, log_guard: LogGuard
) -> None:
    await use_shared_engine(monkeypatch)
    hub = await start_hub()
    runtime = await _setup(hub)
    events = record(hub)
    settings: CameraSettings = runtime.watchers["camera.gate_cam"].settings
    context = Context()
    await runtime.async_report(settings, _vote("PH12CAR", hub.scheduler.timestamp()), context)
    [event] = events
    assert event.data["direction"] == "unknown"  # role both
    assert (event.data["list"], event.data["listed"]) == ("banned", "block")
    assert event.data["snapshot"] is None  # no frame, no picture
    assert event.data["candidates"] == [{"plate": "PH12CAB", "confidence": 0.4, "votes": 1}]
    state = hub.states.get("sensor.gate_cam_last_plate")
    assert state is not None
    assert state.state == "PH12CAR"
    assert state.context == context
    assert {key: state.attributes[key] for key in ("listed", "list", "direction")} == {
        "listed": "block",
        "list": "banned",
        "direction": "unknown",
    }
    assert state.attributes["confidence"] == 0.88
    assert state.attributes["time"] == event.data["time"]
    assert state.attributes["snapshot"] is None
    await hub.async_stop()

    hub = await start_hub()
    await _setup(hub)
    state = hub.states.get("sensor.gate_cam_last_plate")
    assert state is not None
    assert state.state == "PH12CAR"
    assert state.attributes["listed"] == "block"
