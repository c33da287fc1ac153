"""Gates over MQTT with a simulated barrier controller that behaves like a device made for
Home Assistant's MQTT cover, on Mosquitto and on the embedded broker."""

from __future__ import annotations

from typing import Any

import pytest

from hub.core.context import Context
from hub.core.hub import Hub
from hub.integrations import gate
from tests.conftest import Clock
from tests.integrations.mqtt.conftest import BrokerUnderTest, SetupMqtt
from tests.mqtt_broker import MqttTestClient, Received, wait_until

ENTRY = {
    "id": "entry",
    "name": "Entry barrier",
    "backend": "mqtt",
    "command_topic": "barrier/entry/set",
    "state_topic": "barrier/entry/state",
    "availability_topic": "barrier/entry/availability",
}


class BarrierController:
    """A relay board's firmware in miniature: OPEN -> opening, open; CLOSE -> closing, closed.

    `async with controller.device:` connects it. With `persistent`, it keeps a broker
    session (clean_session false, QoS 1), as a controller that must not miss a command.
    """

    def __init__(self, port: int, name: str = "entry", persistent: bool = False) -> None:
        self.device = MqttTestClient(
            port,
            client_id=f"barrier-{name}" if persistent else "",
            clean_session=not persistent,
            on_message=self._on_message,
        )
        self.base = f"barrier/{name}"
        self.commands: list[str] = []

    async def start(self) -> None:
        await self.device.subscribe(f"{self.base}/set")
        await self.device.publish(f"{self.base}/availability", "online", retain=True)
        await self.device.publish(f"{self.base}/state", "closed", retain=True)

    def _on_message(self, message: Received) -> None:
        if message.topic != f"{self.base}/set":
            return
        self.commands.append(message.payload)
        moves = {"OPEN": ("opening", "open"), "CLOSE": ("closing", "closed")}
        for state in moves.get(message.payload, ()):
            self.device.publish_now(f"{self.base}/state", state, retain=True)


def state_of(hub: Hub, entity_id: str) -> str | None:
    state = hub.states.get(entity_id)
    return state.state if state else None


async def setup_gates(hub: Hub, *gates: dict[str, Any]) -> None:
    await gate.async_setup(hub, gate.CONFIG_SCHEMA(list(gates)))


async def test_gate_open_reaches_the_controller_and_its_state_comes_back(
    hub: Hub, setup_mqtt: SetupMqtt, broker: BrokerUnderTest
) -> None:
    await setup_mqtt()
    controller = BarrierController(broker.port)
    async with controller.device:
        await controller.start()
        await setup_gates(hub, ENTRY)
        await wait_until(lambda: state_of(hub, "gate.entry") == "closed")

        seen: list[str] = []
        hub.states.async_track("gate.entry", lambda e: seen.append(e.data["new_state"].state))
        context = Context(user_id="attendant")
        await hub.services.async_call(
            "gate", "open", {"entity_id": "gate.entry", "plate": "KA01AB1234"}, context=context
        )
        await wait_until(lambda: state_of(hub, "gate.entry") == "open")
        assert controller.commands == ["OPEN"]
        assert [s for s in seen if s != "closed"] == ["opening", "open"]
        state = hub.states.get("gate.entry")
        assert state is not None
        assert state.context == context  # the controller's report carries the command's cause
        assert state.attributes["last_command"] == "open"
        assert state.attributes["last_plate"] == "KA01AB1234"

        await hub.services.async_call("gate", "toggle", {"entity_id": "gate.entry"})
        await wait_until(lambda: state_of(hub, "gate.entry") == "closed")
        assert controller.commands == ["OPEN", "CLOSE"]


async def test_availability_and_bad_state_payloads(
    hub: Hub,
    setup_mqtt: SetupMqtt,
    broker: BrokerUnderTest,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await setup_mqtt()
    await setup_gates(hub, ENTRY)
    assert state_of(hub, "gate.entry") == "unavailable"
    async with MqttTestClient(broker.port) as device:
        await device.publish("barrier/entry/availability", "online")
        await device.publish("barrier/entry/state", "open")
        await wait_until(lambda: state_of(hub, "gate.entry") == "open")
        await device.publish("barrier/entry/state", "half-way")
        await device.publish("barrier/entry/state", "half-way")
        await device.publish("barrier/entry/availability", "offline")
        await wait_until(lambda: state_of(hub, "gate.entry") == "unavailable")
    assert hub.data["mqtt"].bad_input.counts["unknown gate state"] == 2
    assert caplog.text.count("Ignoring MQTT message on barrier/entry/state: unknown gate") == 1


async def test_value_template_reads_json_state(
    hub: Hub, setup_mqtt: SetupMqtt, broker: BrokerUnderTest
) -> None:
    await setup_mqtt()
    await setup_gates(
        hub,
        {
            "id": "exit",
            "backend": "mqtt",
            "command_topic": "plc/exit/cmd",
            "state_topic": "plc/exit",
            "value_template": "{{ value_json.barrier | lower }}",
        },
    )
    async with MqttTestClient(broker.port) as plc:
        await plc.publish("plc/exit", '{"barrier": "OPENING", "loop": 1}')
        await wait_until(lambda: state_of(hub, "gate.exit") == "opening")
        await plc.publish("plc/exit", "not json")
        await wait_until(lambda: hub.data["mqtt"].bad_input.total == 1)
    assert state_of(hub, "gate.exit") == "opening"


async def test_optimistic_gate_auto_closes(
    hub: Hub, setup_mqtt: SetupMqtt, broker: BrokerUnderTest, clock: Clock
) -> None:
    await setup_mqtt()
    await setup_gates(
        hub,
        {"id": "side", "backend": "mqtt", "command_topic": "relay/side", "auto_close": 20},
    )
    async with MqttTestClient(broker.port) as relay:
        await relay.subscribe("relay/side")
        assert state_of(hub, "gate.side") == "closed"
        await hub.services.async_call("gate", "open", {"entity_id": "gate.side"})
        assert state_of(hub, "gate.side") == "open"
        await relay.wait_for("relay/side", "OPEN")
        await clock.advance(seconds=19)
        assert state_of(hub, "gate.side") == "open"
        await clock.advance(seconds=1)
        assert state_of(hub, "gate.side") == "closed"


async def test_keypad_or_home_assistant_drives_a_gate_over_mqtt(
    hub: Hub, setup_mqtt: SetupMqtt, broker: BrokerUnderTest
) -> None:
    await setup_mqtt()
    await setup_gates(hub, {"id": "entry", "backend": "demo", "travel_time": 0})
    commands: list[Any] = []
    hub.bus.async_listen("gate_command", commands.append)
    async with MqttTestClient(broker.port) as keypad:
        await keypad.publish("parkhub/gate/entry/set", "OPEN")
        await wait_until(lambda: state_of(hub, "gate.entry") == "open")
        await keypad.publish("parkhub/gate/entry/set", "JUMP")
        await keypad.publish("parkhub/gate/nowhere/set", "OPEN")
        await keypad.publish("parkhub/gate/entry/set", "CLOSE")
        await wait_until(lambda: state_of(hub, "gate.entry") == "closed")
    assert [(c.data["command"], c.data["source"]) for c in commands] == [
        ("open", "mqtt"),
        ("close", "mqtt"),
    ]
    assert hub.data["mqtt"].bad_input.total == 2
