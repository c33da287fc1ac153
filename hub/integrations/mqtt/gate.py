"""Gates driven over MQTT, the way Home Assistant's MQTT cover drives a barrier relay.

`OPEN` / `CLOSE` / `STOP` go to `command_topic` (QoS 1, queued while the broker is away);
the controller reports `open` / `opening` / `closed` / `closing` on `state_topic`. With no
state topic the gate is optimistic: it takes the commanded state at once and, with
`auto_close`, reports closed again after that time (a pulse relay closes by itself).
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

import voluptuous as vol

from hub import validation as cv
from hub.core.bus import CALLBACK_TYPE
from hub.core.exceptions import ServiceValidationError
from hub.integrations.gate.const import (
    COMMAND_CLOSE,
    COMMAND_OPEN,
    STATE_CLOSED,
    STATE_CLOSING,
    STATE_OPEN,
    STATE_OPENING,
)
from hub.integrations.gate.entity import GateEntity

from .entity import (
    AVAILABILITY_SCHEMA,
    MqttAvailability,
    ValueRenderer,
    async_mark_adopted,
    publish_topic,
    qos,
    subscribe_topic,
)
from .models import ReceiveMessage

if TYPE_CHECKING:
    from .runtime import MqttRuntime

__all__ = ["GATE_KEYS", "MqttGate"]

_text_or_none = vol.Any(None, cv.string)

GATE_KEYS: dict[Any, Any] = {
    vol.Optional("command_topic"): publish_topic,
    vol.Optional("state_topic"): subscribe_topic,
    # null (as Home Assistant devices send for a barrier with no stop) means: not supported.
    vol.Optional("payload_open", default="OPEN"): _text_or_none,
    vol.Optional("payload_close", default="CLOSE"): _text_or_none,
    vol.Optional("payload_stop", default="STOP"): _text_or_none,
    vol.Optional("state_open", default=STATE_OPEN): _text_or_none,
    vol.Optional("state_opening", default=STATE_OPENING): _text_or_none,
    vol.Optional("state_closed", default=STATE_CLOSED): _text_or_none,
    vol.Optional("state_closing", default=STATE_CLOSING): _text_or_none,
    vol.Optional("state_stopped", default="stopped"): _text_or_none,
    vol.Optional("value_template"): cv.template,
    # Default: optimistic exactly when there is no state_topic.
    vol.Optional("optimistic"): cv.boolean,
    # Optimistic only: report closed this long after an open (the barrier closes itself).
    vol.Optional("auto_close"): cv.positive_time_period,
    vol.Optional("qos", default=1): qos,
    vol.Optional("retain", default=False): cv.boolean,
    **AVAILABILITY_SCHEMA,
}


class MqttGate(GateEntity):
    """A barrier behind an MQTT relay; its config is GATE_KEYS, validated."""

    def __init__(
        self,
        runtime: MqttRuntime,
        config: dict[str, Any],
        *,
        entity_id: str | None = None,
        unique_id: str | None = None,
        name: str | None = None,
    ) -> None:
        super().__init__()
        self._runtime = runtime
        self._config = config
        if entity_id:
            self.entity_id = entity_id
        self._attr_unique_id = unique_id
        self._attr_name = name
        self._optimistic: bool = config.get("optimistic", "state_topic" not in config)
        self._availability = MqttAvailability(config, runtime.bad_input)
        self._attr_available = self._availability.initially_available
        self._attr_state = STATE_CLOSED if self._optimistic else None
        states = {
            config["state_open"]: STATE_OPEN,
            config["state_opening"]: STATE_OPENING,
            config["state_closed"]: STATE_CLOSED,
            config["state_closing"]: STATE_CLOSING,
            # Home Assistant: a barrier stopped half-way is not closed.
            config["state_stopped"]: STATE_OPEN,
        }
        self._states: dict[str, str] = {k: v for k, v in states.items() if k is not None}
        self._renderer: ValueRenderer | None = None
        self._cancel_auto_close: CALLBACK_TYPE | None = None

    async def async_added_to_hub(self) -> None:
        async_mark_adopted(self, self._runtime, self._config)
        self._renderer = ValueRenderer(
            self.hub, self._config.get("value_template"), self._runtime.bad_input
        )
        qos_ = self._config["qos"]
        if (topic := self._config.get("state_topic")) is not None:
            self.async_on_remove(await self._runtime.async_subscribe(topic, self._on_state, qos_))
        for topic in self._availability.topics:
            self.async_on_remove(
                await self._runtime.async_subscribe(topic, self._on_availability, qos_)
            )
        self.async_on_remove(self._stop_auto_close)

    def _on_state(self, message: ReceiveMessage) -> None:
        assert self._renderer is not None
        value = self._renderer.render(message)
        if value is None:
            return
        if value in ("", "None"):
            self.async_set_gate_state(None)
            return
        state = self._states.get(value)
        if state is None:
            expected = ", ".join(repr(key) for key in self._states)
            self._runtime.bad_input.report(
                message.topic, "unknown gate state", f"{value[:40]!r} (expected {expected})"
            )
            return
        self.async_set_gate_state(state)

    def _on_availability(self, message: ReceiveMessage) -> None:
        if self._availability.update(self, message):
            self.async_write_state()

    async def async_open(self) -> None:
        await self._send(COMMAND_OPEN, self._config["payload_open"])

    async def async_close(self) -> None:
        await self._send(COMMAND_CLOSE, self._config["payload_close"])

    async def _send(self, command: str, payload: str | None) -> None:
        topic = self._config.get("command_topic")
        if topic is None:
            raise ServiceValidationError(f"{self.entity_id} has no command_topic: it only reports")
        if payload is None:
            raise ServiceValidationError(f"{self.entity_id} cannot {command}: its payload is null")
        self._runtime.async_publish(topic, payload, self._config["qos"], self._config["retain"])
        if not self._optimistic:
            self.async_write_command()
            return
        self._stop_auto_close()
        self.async_set_gate_state(self.final_state(command))
        auto_close: timedelta | None = self._config.get("auto_close")
        if command == COMMAND_OPEN and auto_close is not None:
            self._cancel_auto_close = self.hub.scheduler.async_call_later(
                auto_close, self._auto_close
            )

    def _auto_close(self, _now: object) -> None:
        self._cancel_auto_close = None
        self.async_set_gate_state(STATE_CLOSED)

    def _stop_auto_close(self) -> None:
        if self._cancel_auto_close is not None:
            self._cancel_auto_close()
            self._cancel_auto_close = None
