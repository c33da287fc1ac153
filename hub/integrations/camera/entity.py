"""`camera.<id>`: the entity, its frame subscriptions and its worker thread.

Consumers ask for frames at the rate they need (`async_subscribe_frames(callback, fps)`).
Each subscription gets at most `fps` frames a second, always the newest: while its
coroutine callback is still busy with one frame, a newer one waits in a single slot and
replaces any older one there (counted as dropped), so a slow consumer never builds a queue
and never holds back the others.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from hub.core.bus import CALLBACK_TYPE
from hub.core.const import EVENT_HUB_STOP
from hub.core.exceptions import ServiceValidationError
from hub.entity import Entity

from .config import CameraConfig
from .const import (
    ATTR_DROPPED,
    ATTR_FPS,
    ATTR_FRAMES,
    ATTR_LAST_FRAME,
    ATTR_RESOLUTION,
    ATTR_SOURCE,
    ATTRIBUTE_REFRESH,
    DOMAIN,
    STATE_IDLE,
    STATE_STREAMING,
)
from .frame import Frame
from .sources import FrameSource
from .worker import CameraWorker

__all__ = ["CameraEntity", "FrameCallback"]

_LOGGER = logging.getLogger(__name__)

FrameCallback = Callable[[Frame], Awaitable[None] | None]
MAX_SUBSCRIPTION_FPS = 60.0


class _Subscription:
    __slots__ = ("busy", "callback", "camera", "dropped", "interval", "last", "pending")

    def __init__(self, camera: CameraEntity, callback: FrameCallback, fps: float) -> None:
        self.camera = camera
        self.callback = callback
        self.interval = 1.0 / fps
        self.last = -1e9
        self.busy = False
        self.pending: Frame | None = None
        self.dropped = 0

    def offer(self, frame: Frame, now: float) -> None:
        # A fifth of an interval early is on time: frames jitter around the source's grid.
        if now - self.last < self.interval * 0.8:
            return
        self.last = now
        if self.busy:
            if self.pending is not None:
                self.dropped += 1
            self.pending = frame
            return
        self._call(frame)

    def _call(self, frame: Frame) -> None:
        try:
            result = self.callback(frame)
        except Exception:
            _LOGGER.exception(
                "Error in frame consumer %r of %s", self.callback, self.camera.entity_id
            )
            return
        if result is not None:
            self.busy = True
            self.camera.hub.async_create_task(
                self._finish(result), f"{self.camera.entity_id} frame"
            )

    async def _finish(self, result: Awaitable[None]) -> None:
        try:
            await result
        except Exception:
            _LOGGER.exception(
                "Error in frame consumer %r of %s", self.callback, self.camera.entity_id
            )
        finally:
            self.busy = False
        if self.pending is not None and self in self.camera._subscriptions:
            frame, self.pending = self.pending, None
            self._call(frame)


class CameraEntity(Entity):
    """One camera. State: `streaming` (someone takes frames), `idle`, or `unavailable`."""

    domain = DOMAIN

    def __init__(self, config: CameraConfig, source: FrameSource) -> None:
        super().__init__()
        self.config = config
        self.entity_id = config.entity_id
        self._attr_name = config.name or config.id
        self._attr_available = False
        self._source = source
        self._worker: CameraWorker | None = None
        self._subscriptions: list[_Subscription] = []
        self._dropped_by_gone = 0  # drops of subscriptions that have ended
        self._frames_by_gone = 0  # frames of a worker that has stopped
        self.latest_frame: Frame | None = None
        self._latest_at = 0.0  # time.monotonic() when latest_frame arrived
        self._resolution: str | None = None
        self._error: str | None = None
        self._fps = 0.0
        self._fps_mark = (0, time.monotonic())

    # -- what the entity shows ------------------------------------------------------------

    @property
    def state(self) -> str:
        return STATE_STREAMING if self._subscriptions else STATE_IDLE

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        frame = self.latest_frame
        return {
            ATTR_SOURCE: self.config.source,
            ATTR_FPS: round(self._fps, 1),
            ATTR_RESOLUTION: self._resolution,
            ATTR_LAST_FRAME: (
                datetime.fromtimestamp(frame.timestamp, UTC).isoformat() if frame else None
            ),
            ATTR_FRAMES: self._worker.frames if self._worker else 0,
            ATTR_DROPPED: self.dropped_frames,
        }

    @property
    def frames_read(self) -> int:
        """Frames the camera's thread decoded since the hub started."""
        return self._frames_by_gone + (self._worker.frames if self._worker else 0)

    @property
    def dropped_frames(self) -> int:
        """Frames made but never handed to a consumer because a newer one replaced them."""
        worker = self._worker.dropped if self._worker else 0
        return worker + self._dropped_by_gone + sum(sub.dropped for sub in self._subscriptions)

    @property
    def error(self) -> str | None:
        """Why the camera is unavailable (None while frames flow)."""
        return self._error

    # -- life cycle -----------------------------------------------------------------------

    async def async_added_to_hub(self) -> None:
        hub = self.hub
        self._worker = CameraWorker(
            self.config.id,
            self._source,
            loop=hub.loop,
            clock=lambda: hub.scheduler.timestamp(),
            on_frame=self._on_frame,
            on_status=self._on_status,
            max_fps=self.config.fps,
        )
        self._worker.start()
        self.async_on_remove(
            hub.scheduler.async_track_interval(ATTRIBUTE_REFRESH, self._refresh_attributes)
        )
        self.async_on_remove(hub.bus.async_listen_once(EVENT_HUB_STOP, self._on_hub_stop))

    async def _on_hub_stop(self, _event: Any) -> None:
        await self.async_stop()

    async def async_stop(self) -> None:
        """Stop the thread and wait for it (the entity's state stays as it was)."""
        worker, self._worker = self._worker, None
        if worker is not None:
            self._dropped_by_gone += worker.dropped
            self._frames_by_gone += worker.frames
            worker.stop()
            await self.hub.async_add_executor_job(worker.join)

    async def async_remove(self) -> None:
        await self.async_stop()
        await super().async_remove()

    # -- frames ---------------------------------------------------------------------------

    def async_subscribe_frames(self, callback: FrameCallback, fps: float) -> CALLBACK_TYPE:
        """Call `callback(frame)` on the loop with the newest frame, at most `fps` times a second.

        A coroutine callback is awaited before it gets another frame; frames that come in
        meanwhile replace each other (counted in `dropped_frames`). Returns the unsubscribe.
        """
        if not 0 < fps <= MAX_SUBSCRIPTION_FPS:
            raise ServiceValidationError(
                f"{self.entity_id}: fps must be above 0 and at most "
                f"{MAX_SUBSCRIPTION_FPS:.0f}, got {fps}"
            )
        subscription = _Subscription(self, callback, fps)
        was_idle = not self._subscriptions
        self._subscriptions.append(subscription)
        self._update_demand()
        if was_idle and self.available:
            self.async_write_state()

        def unsubscribe() -> None:
            if subscription not in self._subscriptions:
                return
            self._subscriptions.remove(subscription)
            self._dropped_by_gone += subscription.dropped
            subscription.pending = None
            self._update_demand()
            if not self._subscriptions and self.available and self.entity_id in self.hub.states:
                self.async_write_state()

        return unsubscribe

    async def async_get_frame(self, max_age: float, wait: float) -> Frame | None:
        """The latest frame if it is at most `max_age` seconds old, else the next
        one within `wait` seconds (or None)."""
        if self.latest_frame is not None and time.monotonic() - self._latest_at <= max_age:
            return self.latest_frame
        future: asyncio.Future[Frame] = self.hub.loop.create_future()

        def take(frame: Frame) -> None:
            if not future.done():
                future.set_result(frame)

        unsubscribe = self.async_subscribe_frames(take, MAX_SUBSCRIPTION_FPS)
        try:
            async with asyncio.timeout(wait):
                return await future
        except TimeoutError:
            return None
        finally:
            unsubscribe()

    def _update_demand(self) -> None:
        if self._worker is not None:
            fps = max((1.0 / sub.interval for sub in self._subscriptions), default=0.0)
            self._worker.set_demand(fps)

    def _on_frame(self, frame: Frame) -> None:
        self.latest_frame = frame
        now = self._latest_at = time.monotonic()
        height, width = frame.image.shape[:2]
        resolution = f"{width}x{height}"
        if resolution != self._resolution:
            self._resolution = resolution
            self.async_write_state()
        for subscription in list(self._subscriptions):
            subscription.offer(frame, now)

    def _on_status(self, error: str | None) -> None:
        if error is None:
            if not self._attr_available:
                _LOGGER.info("Camera %s is available", self.entity_id)
            self._error = None
            self._attr_available = True
        else:
            if self._attr_available or self._error is None:
                _LOGGER.warning("Camera %s is unavailable: %s", self.entity_id, error)
            self._error = error
            self._attr_available = False
        self._update_fps()
        self.async_write_state()

    def _update_fps(self) -> None:
        frames = self._worker.frames if self._worker else 0
        now = time.monotonic()
        count, since = self._fps_mark
        if now > since:
            self._fps = (frames - count) / (now - since)
        self._fps_mark = (frames, now)

    def _refresh_attributes(self, _now: datetime) -> None:
        self._update_fps()
        self.async_write_state()
