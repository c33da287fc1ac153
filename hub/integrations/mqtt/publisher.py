"""The hub's side of the MQTT contract: states and selected events out, gate commands in.

- every state change -> `<prefix>/<domain>/<object_id>/state` and `.../attributes` (JSON),
  retained; an entity that goes away clears both (empty retained payloads);
- after every (re)connect, a full publish of every state, so a broker that restarted
  without persistence, or a subscriber that came late, has the whole picture;
- selected events -> `<prefix>/event/<event_type>` (the event data as JSON, not retained);
- `<prefix>/gate/<id>/set` with `OPEN` / `CLOSE` / `TOGGLE` -> the gate services.
"""

from __future__ import annotations

import fnmatch
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import voluptuous as vol

from hub import validation as cv
from hub.core.bus import CALLBACK_TYPE, Event
from hub.core.const import EVENT_STATE_CHANGED
from hub.core.context import Context
from hub.core.exceptions import HubError
from hub.core.json import json_bytes
from hub.core.states import State

from .models import ReceiveMessage

if TYPE_CHECKING:
    from hub.core.hub import Hub

    from .runtime import MqttRuntime

__all__ = ["PUBLISH_SCHEMA", "StatePublisher"]

_LOGGER = logging.getLogger(__name__)

DEFAULT_EVENTS = [
    "plate_detected",
    "parking_session_started",
    "parking_session_ended",
    "overstay",
    "anomaly",
    "gate_command",
]
_GATE_COMMANDS = {"OPEN": "open", "CLOSE": "close", "TOGGLE": "toggle"}

_FILTER_SCHEMA = vol.Schema(
    {
        vol.Optional("domains", default=[]): vol.All(cv.ensure_list, [cv.slug]),
        # Entity ids or globs: "sensor.*_debug".
        vol.Optional("entities", default=[]): vol.All(cv.ensure_list, [cv.string]),
    }
)
PUBLISH_SCHEMA = vol.Schema(
    {
        # Publish every state change (retained) under <prefix>/<domain>/<object_id>/.
        vol.Optional("states", default=True): cv.boolean,
        # Only these (when given), less the excluded ones.
        vol.Optional("include", default={}): _FILTER_SCHEMA,
        vol.Optional("exclude", default={}): _FILTER_SCHEMA,
        # Events published to <prefix>/event/<event_type>.
        vol.Optional("events", default=DEFAULT_EVENTS): vol.All(cv.ensure_list, [cv.string]),
        # Accept OPEN/CLOSE/TOGGLE on <prefix>/gate/<id>/set.
        vol.Optional("gate_commands", default=True): cv.boolean,
    }
)


class _EntityFilter:
    """Include/exclude by domain and entity glob; the answer is cached per entity id."""

    def __init__(self, include: Mapping[str, Any], exclude: Mapping[str, Any]) -> None:
        self._include = include
        self._exclude = exclude
        self._cache: dict[str, bool] = {}

    @staticmethod
    def _matches(rules: Mapping[str, Any], entity_id: str) -> bool:
        domain = entity_id.partition(".")[0]
        return domain in rules["domains"] or any(
            fnmatch.fnmatchcase(entity_id, pattern) for pattern in rules["entities"]
        )

    def __call__(self, entity_id: str) -> bool:
        answer = self._cache.get(entity_id)
        if answer is None:
            has_include = bool(self._include["domains"] or self._include["entities"])
            answer = (not has_include or self._matches(self._include, entity_id)) and (
                not self._matches(self._exclude, entity_id)
            )
            self._cache[entity_id] = answer
        return answer


class StatePublisher:
    def __init__(self, hub: Hub, runtime: MqttRuntime, config: Mapping[str, Any]) -> None:
        self._hub = hub
        self._runtime = runtime
        self._config = config
        self._prefix = runtime.config.prefix
        self.wanted = _EntityFilter(config["include"], config["exclude"])
        self._unsubs: list[CALLBACK_TYPE] = []

    async def async_start(self) -> None:
        hub, runtime = self._hub, self._runtime
        if self._config["states"]:
            self._unsubs.append(hub.bus.async_listen(EVENT_STATE_CHANGED, self._on_state_changed))
            self._unsubs.append(runtime.async_on_connect(self.async_publish_all))
            if runtime.is_connected():
                self.async_publish_all()
        for event_type in self._config["events"]:
            self._unsubs.append(hub.bus.async_listen(event_type, self._on_event))
        if self._config["gate_commands"]:
            self._unsubs.append(
                await runtime.async_subscribe(f"{self._prefix}/gate/+/set", self._on_gate_set, 1)
            )

    def async_stop(self) -> None:
        while self._unsubs:
            self._unsubs.pop()()

    # -- states ---------------------------------------------------------------------------

    def async_publish_all(self) -> None:
        for state in self._hub.states.async_all():
            if self.wanted(state.entity_id):
                self._publish_state(state, None)

    def _on_state_changed(self, event: Event) -> None:
        entity_id: str = event.data["entity_id"]
        if not self.wanted(entity_id):
            return
        new: State | None = event.data["new_state"]
        if new is None:
            base = f"{self._prefix}/{entity_id.replace('.', '/', 1)}"
            self._runtime.async_publish(f"{base}/state", b"", 0, True)
            self._runtime.async_publish(f"{base}/attributes", b"", 0, True)
            return
        self._publish_state(new, event.data["old_state"])

    def _publish_state(self, state: State, old: State | None) -> None:
        base = f"{self._prefix}/{state.domain}/{state.object_id}"
        publish = self._runtime.async_publish
        publish(f"{base}/state", state.state, 0, True)
        if old is None or old.attributes != state.attributes:
            publish(f"{base}/attributes", json_bytes(state.attributes), 0, True)

    # -- events ---------------------------------------------------------------------------

    def _on_event(self, event: Event) -> None:
        topic = f"{self._prefix}/event/{event.event_type}"
        self._runtime.async_publish(topic, json_bytes(event.data), 0, False)

    # -- gate commands in -----------------------------------------------------------------

    async def _on_gate_set(self, message: ReceiveMessage) -> None:
        object_id = message.topic.split("/")[-2]
        entity_id = f"gate.{object_id}"
        service = _GATE_COMMANDS.get(message.payload.strip().upper())
        bad = self._runtime.bad_input
        if service is None:
            bad.report(
                message.topic, "unknown gate command", f"{message.payload[:40]!r} (OPEN or CLOSE)"
            )
            return
        if self._hub.states.get(entity_id) is None:
            bad.report(message.topic, "no such gate", entity_id)
            return
        try:
            await self._hub.services.async_call(
                "gate",
                service,
                {"entity_id": entity_id, "source": "mqtt"},
                context=Context(),
            )
        except HubError as err:
            _LOGGER.warning("MQTT command %s for %s failed: %s", service, entity_id, err)
