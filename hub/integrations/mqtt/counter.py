"""`sensor.mqtt_bad_messages`: how many messages were ignored as bad input, and why.

Updated at most every few seconds, so a device flooding garbage costs one state change
per interval, not one per message.
"""

from __future__ import annotations

from typing import Any, ClassVar

from hub.core.bus import CALLBACK_TYPE
from hub.entity import Entity

from .bad_input import BadInput

__all__ = ["BadMessagesSensor"]

UPDATE_DELAY = 5.0


class BadMessagesSensor(Entity):
    domain: ClassVar[str] = "sensor"
    _attr_name = "MQTT bad messages"
    _attr_icon = "mdi:message-alert"

    def __init__(self, bad_input: BadInput) -> None:
        super().__init__()
        self.entity_id = "sensor.mqtt_bad_messages"
        self._bad_input = bad_input
        self._cancel_update: CALLBACK_TYPE | None = None

    @property
    def state(self) -> int:
        return self._bad_input.total

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        return {"by_reason": dict(self._bad_input.counts), "last_topic": self._bad_input.last_topic}

    async def async_added_to_hub(self) -> None:
        self._bad_input.on_report = self._schedule_update
        self.async_on_remove(self._stop)

    def _schedule_update(self) -> None:
        if self._cancel_update is None:
            self._cancel_update = self.hub.scheduler.async_call_later(UPDATE_DELAY, self._update)

    def _update(self, _now: object) -> None:
        self._cancel_update = None
        self.async_write_state()

    def _stop(self) -> None:
        self._bad_input.on_report = None
        if self._cancel_update is not None:
            self._cancel_update()
            self._cancel_update = None
