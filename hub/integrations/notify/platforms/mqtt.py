"""MQTT: publish the notification as JSON to a topic (a lot display, a phone app, Node-RED).

Needs the `mqtt:` integration. While the broker is away the attempt counts as failed
and the outbox retries it, so nothing is lost even at QoS 0. The payload carries the
notification id, so a subscriber can drop a message it has already seen.
"""

from __future__ import annotations

from typing import Any, Final

import voluptuous as vol

from hub import validation as cv
from hub.core.exceptions import HubError
from hub.core.json import json_dumps

from ..errors import PermanentError, RetryableError
from ..models import Notification
from .base import Notifier, Shared

__all__ = ["PLATFORM_SCHEMA", "MqttNotifier"]


def _topic(value: Any) -> str:
    text = cv.string(value).strip()
    if not text or "+" in text or "#" in text:
        raise vol.Invalid(f"expected a topic without + or #, got {cv.describe_value(value)}")
    return text


PLATFORM_SCHEMA: Final = {
    vol.Required("topic", description="Topic to publish to (a call's target replaces it)"): _topic,
    vol.Optional("qos", default=1, description="0, 1 or 2"): vol.All(
        vol.Coerce(int), vol.In([0, 1, 2])
    ),
    vol.Optional("retain", default=False, description="Keep the last one on the broker"): (
        cv.boolean
    ),
}


class MqttNotifier(Notifier):
    platform = "mqtt"

    def __init__(self, config: dict[str, Any], shared: Shared) -> None:
        super().__init__(config, shared)
        self.topic: str = config["topic"]
        self.qos: int = config["qos"]
        self.retain: bool = config["retain"]

    async def async_send(self, note: Notification) -> None:
        from hub.integrations.mqtt import async_publish, is_connected

        hub = self.shared.hub
        if "mqtt" not in hub.data:
            raise PermanentError("MQTT is not set up: add an `mqtt:` section to config.yaml")
        if not is_connected(hub):
            raise RetryableError("the MQTT broker is not connected")
        payload = json_dumps(
            {
                "id": note.id,
                "title": note.title,
                "message": note.message,
                "data": note.data,
                "created": note.created,
            }
        )
        try:
            await async_publish(hub, note.target or self.topic, payload, self.qos, self.retain)
        except HubError as err:
            raise PermanentError(str(err)) from None
