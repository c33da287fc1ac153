"""Camera pictures for Home Assistant: a JPEG per camera on `<prefix>/camera/<id>/image`.

Discovery out announces each camera as an HA MQTT `camera` whose `topic` is that one, so
HA shows the lot's picture, not a text sensor. One retained JPEG per camera every
`camera_interval` (10 s by default; 0 turns it off): a modest, fixed load on the broker
however many viewers HA has, and a late subscriber gets the last picture at once. A
camera whose previous picture is still being taken is skipped, never queued. The JPEG
comes from the camera integration (the same snapshot `GET .../snapshot.jpg` serves),
encoded in the executor.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from hub.core.bus import CALLBACK_TYPE
from hub.core.exceptions import HubError

if TYPE_CHECKING:
    from hub.core.hub import Hub

    from .runtime import MqttRuntime

__all__ = ["CameraImages", "image_topic"]

_LOGGER = logging.getLogger(__name__)


def image_topic(prefix: str, object_id: str) -> str:
    return f"{prefix}/camera/{object_id}/image"


class CameraImages:
    def __init__(
        self, hub: Hub, runtime: MqttRuntime, interval: timedelta, wanted: Callable[[str], bool]
    ) -> None:
        self._hub = hub
        self._runtime = runtime
        self._interval = interval
        self._wanted = wanted
        self._busy: set[str] = set()
        self._unsubs: list[CALLBACK_TYPE] = []

    async def async_start(self) -> None:
        if self._interval.total_seconds() <= 0:
            return
        self._unsubs.append(self._hub.scheduler.async_track_interval(self._interval, self._tick))
        self._unsubs.append(self._runtime.async_on_connect(lambda: self._tick(None)))
        if self._runtime.is_connected():
            self._tick(None)

    def async_stop(self) -> None:
        while self._unsubs:
            self._unsubs.pop()()

    def _tick(self, _now: datetime | None) -> None:
        if not self._runtime.is_connected():
            return
        for entity_id in self._hub.states.async_entity_ids("camera"):
            if entity_id in self._busy or not self._wanted(entity_id):
                continue
            state = self._hub.states.get(entity_id)
            if state is None or state.state == "unavailable":
                continue
            self._busy.add(entity_id)
            self._hub.async_create_task(self._async_publish(entity_id), f"mqtt image {entity_id}")

    async def _async_publish(self, entity_id: str) -> None:
        # The camera integration is a seam used only here, and only when it runs.
        from hub.integrations.camera import async_get_camera
        from hub.integrations.camera.const import DOMAIN as CAMERA
        from hub.integrations.camera.http import async_snapshot_jpeg

        try:
            data = self._hub.data.get(CAMERA)
            if data is None:
                return
            camera = await async_get_camera(self._hub, entity_id)
            jpeg = await async_snapshot_jpeg(self._hub, data, camera, False)
        except HubError as err:
            _LOGGER.debug("No picture of %s for MQTT: %s", entity_id, err)
            return
        finally:
            self._busy.discard(entity_id)
        topic = image_topic(self._runtime.config.prefix, entity_id.partition(".")[2])
        self._runtime.async_publish(topic, jpeg, 0, True, queue=False)
