"""A broker that dies mid-run: the hub reconnects, republishes, and the gate command that
was queued meanwhile reaches the barrier exactly once."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from hub.core.hub import Hub
from hub.integrations.mqtt import is_connected
from tests.conftest import LogGuard
from tests.integrations.mqtt.conftest import SetupMqtt
from tests.integrations.mqtt.test_gate import ENTRY, BarrierController, setup_gates, state_of
from tests.mqtt_broker import MosquittoBroker, wait_until


@pytest.fixture
def mqtt_config() -> dict[str, Any]:
    return {"client_id": "parkhub-test"}


async def test_broker_restart_delivers_the_queued_command_exactly_once(
    hub: Hub, setup_mqtt: SetupMqtt, tmp_path: Path, log_guard: LogGuard
) -> None:
    """Mosquitto as recommended for production (persistence on) dies mid-run."""
    mosquitto = await asyncio.to_thread(MosquittoBroker, tmp_path, None, True)
    await asyncio.to_thread(mosquitto.start)
    try:
        await setup_mqtt(broker=mosquitto.url)
        await setup_gates(hub, ENTRY)
        controller = BarrierController(mosquitto.port, persistent=True)
        async with controller.device:
            await controller.start()
            await wait_until(lambda: state_of(hub, "gate.entry") == "closed")
        hub.states.async_set("sensor.lot_free_spaces", "12")

        await asyncio.to_thread(mosquitto.stop, True)
        await wait_until(lambda: not is_connected(hub))
        await hub.services.async_call("gate", "open", {"entity_id": "gate.entry"})
        hub.states.async_set("sensor.lot_free_spaces", "11")
        await asyncio.to_thread(mosquitto.start)

        # The controller comes back with its session: the command waits for it there.
        controller = BarrierController(mosquitto.port, persistent=True)
        async with controller.device:
            await wait_until(lambda: state_of(hub, "gate.entry") == "open", within=10)
            await controller.device.subscribe("parkhub/#")
            # Retained states were republished after the reconnect, including what
            # changed while the broker was away.
            await controller.device.wait_for("parkhub/sensor/lot_free_spaces/state", "11")
            await controller.device.wait_for("parkhub/status", "online")
            await asyncio.sleep(0.3)
        assert controller.commands == ["OPEN"]
    finally:
        await asyncio.to_thread(mosquitto.stop)
