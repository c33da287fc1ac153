"""End to end: a plate read or a keypad code starts an automation, the automation opens
the barrier over MQTT, and every step points back to its cause."""

from __future__ import annotations

from typing import Any

import pytest

from hub.automations import AUTOMATIONS_SCHEMA, async_setup_automations
from hub.core.bus import Event
from hub.core.context import Context
from hub.core.hub import Hub
from hub.integrations import gate
from tests.conftest import Clock
from tests.integrations.mqtt.conftest import BrokerUnderTest, SetupMqtt
from tests.integrations.mqtt.test_gate import ENTRY, BarrierController, state_of
from tests.mqtt_broker import MqttTestClient, wait_until

AUTOMATIONS = [
    {
        "id": "open_for_residents",
        "triggers": [
            {
                "trigger": "event",
                "event_type": "plate_detected",
                "event_data": {"camera": "camera.entry"},
            }
        ],
        "actions": [
            {
                "action": "gate.open",
                "target": {"entity_id": "gate.entry"},
                "data": {
                    "reason": "resident {{ trigger.event.data.plate }}",
                    "plate": "{{ trigger.event.data.plate }}",
                },
            }
        ],
    },
    {
        "id": "keypad",
        "triggers": [{"trigger": "mqtt", "topic": "keypad/entry/code", "payload": "4711"}],
        "actions": [{"action": "gate.close", "target": {"entity_id": "gate.entry"}}],
    },
]


@pytest.mark.parametrize("broker", ["mosquitto"], indirect=True)
async def test_plate_to_automation_to_barrier(
    hub: Hub, clock: Clock, setup_mqtt: SetupMqtt, broker: BrokerUnderTest
) -> None:
    await setup_mqtt()
    controller = BarrierController(broker.port)
    async with controller.device:
        await controller.start()
        await gate.async_setup(hub, gate.CONFIG_SCHEMA([ENTRY]))
        await wait_until(lambda: state_of(hub, "gate.entry") == "closed")
        await async_setup_automations(hub, AUTOMATIONS_SCHEMA(AUTOMATIONS))
        commands: list[Event] = []
        hub.bus.async_listen("gate_command", commands.append)

        camera_saw_a_car = Context()
        hub.bus.async_fire(
            "plate_detected",
            {"plate": "KA01AB1234", "camera": "camera.entry"},
            context=camera_saw_a_car,
        )
        await wait_until(lambda: state_of(hub, "gate.entry") == "open")
        assert controller.commands == ["OPEN"]
        [command] = commands
        data: dict[str, Any] = dict(command.data)
        assert (data["command"], data["plate"], data["reason"]) == (
            "open",
            "KA01AB1234",
            "resident KA01AB1234",
        )
        # gate opened <- automation run <- plate read
        assert command.context.parent_id == camera_saw_a_car.id
        opened = hub.states.get("gate.entry")
        assert opened is not None
        assert opened.context == command.context

        # A keypad on MQTT closes it again through the mqtt trigger.
        async with MqttTestClient(broker.port) as keypad:
            await keypad.publish("keypad/entry/code", "0000")
            await keypad.publish("keypad/entry/code", "4711")
            await wait_until(lambda: state_of(hub, "gate.entry") == "closed")
        assert controller.commands == ["OPEN", "CLOSE"]
