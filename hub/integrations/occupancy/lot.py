"""One lot at run time: frames in, slot entities out.

Frames reach `async_process_frame` (from the camera subscription, or straight from a
test or another frame source). At most one frame per lot is being classified at a time;
a frame that arrives meanwhile is dropped and counted, so a slow box falls behind by
skipping frames, never by queueing them.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from hub.core.bus import CALLBACK_TYPE
from hub.core.const import STATE_UNAVAILABLE
from hub.core.exceptions import HubError
from hub.core.hub import Hub
from hub.entity import async_add_entities

from .config import LotConfig
from .const import DOMAIN
from .entity import FreeSpacesSensor, Reservations, SlotSensor
from .model import SlotModel
from .overlay import SlotOverlay
from .slots import Slot
from .tracker import LotWorker, Readings, SlotSmoother

if TYPE_CHECKING:
    from hub.integrations.camera import Frame

__all__ = ["OccupancyLot"]

_LOGGER = logging.getLogger(__name__)

# A settled slot's state is rewritten only when its confidence moved this much, so a
# steady lot does not flood history and MQTT with tiny attribute changes.
CONFIDENCE_STEP = 0.1


class OccupancyLot:
    """A lot's slots, their smoothing state, entities and overlay, and its frame intake."""

    def __init__(self, hub: Hub, config: LotConfig, slots: list[Slot], worker: LotWorker) -> None:
        self.hub = hub
        self.config = config
        self.name = config.name
        self.slots = slots
        self.worker = worker  # built in the executor: its sampling maps take a moment
        self.smoothers = [SlotSmoother() for _ in slots]
        self.reservations = Reservations()
        self.slot_sensors = [
            SlotSensor(self.name, slot, smoother, self.reservations)
            for slot, smoother in zip(slots, self.smoothers, strict=True)
        ]
        self.free_sensor = FreeSpacesSensor(self.name, slots, self.smoothers, self.reservations)
        self.overlay = SlotOverlay(slots, self.smoothers)
        self.frames = 0
        self.dropped = 0
        self.process_seconds = 0.0  # wall time of the frames classified, for /metrics
        self.classified_slots = 0
        self.latest_image: npt.NDArray[np.uint8] | None = None
        self._busy = False
        self._unsubscribe: list[CALLBACK_TYPE] = []

    # -- life cycle -----------------------------------------------------------------------

    async def async_start(self) -> None:
        await async_add_entities(self.hub, DOMAIN, [*self.slot_sensors, self.free_sensor])
        self._unsubscribe.append(
            self.hub.states.async_track(self.config.camera, self._camera_changed)
        )
        camera = self.hub.states.get(self.config.camera)
        if camera is not None and camera.state == STATE_UNAVAILABLE:
            self._set_available(False)
        await self._async_attach_camera()

    def async_stop(self) -> None:
        while self._unsubscribe:
            self._unsubscribe.pop()()

    async def _async_attach_camera(self) -> None:
        """Subscribe to the camera's frames and draw on its restream.

        A camera that is not there leaves the lot's slots `unknown` and says why in the
        log; the rest of the hub carries on.
        """
        from hub.integrations.camera import async_get_camera, async_register_overlay

        try:
            camera = await async_get_camera(self.hub, self.config.camera)
        except HubError as err:
            _LOGGER.warning("Lot %s gets no frames: %s", self.name, err)
            return
        self._unsubscribe.append(camera.async_subscribe_frames(self._on_frame, self.config.fps))
        if self.config.overlay:
            self._unsubscribe.append(
                async_register_overlay(self.hub, self.config.camera, self.overlay.draw)
            )

    async def _on_frame(self, frame: Frame) -> None:
        """Camera callback: the camera keeps only the newest frame while this one runs."""
        await self.async_process_frame(frame.image)

    def _camera_changed(self, event: Any) -> None:
        new = event.data.get("new_state")
        self._set_available(new is not None and new.state != STATE_UNAVAILABLE)

    def _set_available(self, available: bool) -> None:
        """What a camera that went away shows: the lot's entities `unavailable`."""
        for entity in (*self.slot_sensors, self.free_sensor):
            if entity.available != available:
                entity._attr_available = available
                entity.async_write_state()

    # -- frames ---------------------------------------------------------------------------

    async def async_process_frame(self, image: npt.NDArray[np.uint8]) -> bool:
        """Classify what changed in `image` and update the entities.

        Returns False when the frame was dropped because the previous one is still being
        classified.
        """
        if self._busy:
            self.dropped += 1
            return False
        self._busy = True
        started = time.perf_counter()
        try:
            unsettled = np.array([smoother.unsettled for smoother in self.smoothers], bool)
            readings = await self.hub.async_add_executor_job(
                self.worker.process, image, self.hub.scheduler.timestamp(), unsettled
            )
        finally:
            self._busy = False
        self.process_seconds += time.perf_counter() - started
        self.frames += 1
        self.latest_image = image
        self._apply(readings)
        return True

    def _apply(self, readings: Readings) -> None:
        self.classified_slots += len(readings.indices)
        changed = False
        for index, probability in zip(readings.indices, readings.probabilities, strict=True):
            sensor = self.slot_sensors[index]
            before = sensor.smoother.confidence
            if sensor.smoother.observe(
                float(probability), readings.timestamp, self.config.stable_seconds
            ):
                changed = True
                sensor.async_write_state()
            elif abs(before - sensor.smoother.confidence) >= CONFIDENCE_STEP:
                sensor.async_write_state()
        if changed:
            self.overlay.refresh()
            self.free_sensor.async_write_state()

    def async_set_reservations(self, slots: frozenset[str], count_any: int) -> None:
        """What parking reserved now: rewrite the slots whose flag changed, and the count."""
        before = self.reservations.slots
        if slots == before and count_any == self.reservations.count_any:
            return
        self.reservations.slots = slots
        self.reservations.count_any = count_any
        for sensor in self.slot_sensors:
            if sensor.entity_id and (sensor.slot.id in slots) != (sensor.slot.id in before):
                sensor.async_write_state()
        if self.free_sensor.entity_id:
            self.free_sensor.async_write_state()

    def async_set_model(self, model: SlotModel) -> None:
        self.worker.set_model(model)
