"""One watched camera: frames -> motion check -> reader (worker thread) -> pass vote.

At most one read per camera is in flight: the camera subscription awaits each read, and
frames that arrive meanwhile replace each other (the camera counts them as dropped), so
the reader always gets the newest frame and never builds a queue. A still lane costs a
motion check per frame and nothing more. While a pass is open and has not voted yet,
frames are read even without motion (a car standing at the barrier); once it has voted,
moving frames are still read (the next car may be behind) but without the reader's
costly text-detector fallback. A pass ends `pass_timeout` seconds after its last read; a
plate reported on this camera is not reported again until it has been out of sight for
`repeat_timeout` seconds (the car that stood still and drives on under the barrier is
the same pass).

Each read is marked *cut* when its plate box reaches the edge of the zone's bounds (or
the frame): the voter trusts such a read less, since a plate coming into view bottom
first misreads (E as F). After each read the worker thread hands its freed buffers back
to the OS, so the reader's short-lived images do not stay in the hub's resident memory.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from datetime import datetime
from typing import Any

import cv2
import numpy as np

from hub.core.bus import CALLBACK_TYPE
from hub.core.context import Context
from hub.core.hub import Hub
from hub.integrations.camera import CameraEntity, Frame
from hub.memory import release_memory
from hub.plates import edit_distance

from .config import CameraSettings
from .const import EDGE_MARGIN, VOTE_SIMILAR_DISTANCE
from .motion import MotionDetector
from .reader import PlateRead, PlateReader
from .voting import PassVoter, Vote

__all__ = ["CameraWatcher", "Reporter"]

_LOGGER = logging.getLogger(__name__)

Reporter = Callable[[CameraSettings, Vote, Context], Awaitable[None]]


class CameraWatcher:
    def __init__(
        self, hub: Hub, settings: CameraSettings, reader: PlateReader, report: Reporter
    ) -> None:
        self.hub = hub
        self.settings = settings
        self._reader = reader
        self._report = report
        self._motion = MotionDetector(settings.motion_threshold, settings.zone)
        self.voter = PassVoter()
        self._lock = asyncio.Lock()
        self._cancel_timeout: CALLBACK_TYPE | None = None
        self._recent: dict[str, float] = {}  # reported plate -> last seen (hub time)
        self._camera: CameraEntity | None = None
        self.reads = 0  # frames read, for the bench and /metrics
        self.reads_with_plate = 0
        self.read_seconds = 0.0  # wall time of those reads (worker thread), for /metrics

    def async_start(self, camera: CameraEntity) -> CALLBACK_TYPE:
        """Subscribe to the camera; returns the stop callable."""
        self._camera = camera
        unsubscribe = camera.async_subscribe_frames(self._on_frame, self.settings.fps)

        def stop() -> None:
            unsubscribe()
            self._cancel_pass_timer()

        return stop

    # -- frames -----------------------------------------------------------------------------

    def _on_frame(self, frame: Frame) -> Coroutine[Any, Any, None] | None:
        if self._lock.locked():
            return None
        moving = self._motion.update(frame.image)
        waiting_for_vote = self.voter.is_open and self.voter.fired is None
        if not moving and not waiting_for_vote:
            return None
        return self._async_process(frame, None)

    async def _async_process(self, frame: Frame, context: Context | None) -> None:
        # Once the pass has its plate, the frames still moving are read only to notice
        # the next car: the finder's cheap path does, and the costly fallbacks (most of a
        # read of a frame with no plate in it) are left out until the pass ends.
        reads = await self._async_read(frame, detect=self.voter.fired is None)
        if reads:
            await self._async_count(reads[0], frame, context)

    async def _async_read(self, frame: Frame, detect: bool = True) -> list[PlateRead]:
        async with self._lock:
            self.reads += 1
            started = time.perf_counter()
            reads = await self.hub.async_add_executor_job(self._read, frame.image, detect)
            self.read_seconds += time.perf_counter() - started
            self.reads_with_plate += bool(reads)
            return reads

    def _read(self, image: np.ndarray, detect: bool) -> list[PlateRead]:
        """Read in a worker thread, then hand the reader's freed buffers back to the OS."""
        try:
            return self._reader.read(image, self.settings.zone, detect=detect)
        finally:
            release_memory()

    async def _async_count(self, read: PlateRead, frame: Frame, context: Context | None) -> None:
        self._arm_pass_timer()
        self._note_seen(read.text, frame.timestamp)
        cut = _touches_edge(read.box, _looked_at(frame.image.shape, self.settings.zone))
        vote = self.voter.add(read, frame.timestamp, frame.image, cut=cut)
        if vote is not None:
            await self._async_vote(vote, context)

    async def async_scan(self, context: Context) -> list[PlateRead]:
        """Read the newest frame now, whatever moves; report the best plate if the pass
        has none yet. Returns the frame's reads."""
        camera = self._camera
        assert camera is not None
        frame = await camera.async_get_frame(max_age=1.0, wait=5.0)
        if frame is None:
            return []
        reads = await self._async_read(frame)
        if not reads:
            return []
        await self._async_count(reads[0], frame, context)
        vote = self.voter.decide_now()
        if vote is not None:
            await self._async_vote(vote, context)
        return reads

    # -- passes -----------------------------------------------------------------------------

    async def _async_vote(self, vote: Vote, parent: Context | None) -> None:
        if self._reported_recently(vote.plate, vote.first_at):
            _LOGGER.debug("%s: %s seen again in the same visit", self.settings.camera, vote.plate)
            return
        self._recent[vote.plate] = vote.at
        context = Context(parent_id=parent.id if parent is not None else None)
        await self._report(self.settings, vote, context)

    def _note_seen(self, text: str, at: float) -> None:
        horizon = at - self.settings.repeat_timeout
        for plate, seen in list(self._recent.items()):
            if seen < horizon:
                del self._recent[plate]
            elif edit_distance(text, plate, VOTE_SIMILAR_DISTANCE) <= VOTE_SIMILAR_DISTANCE:
                self._recent[plate] = at

    def _reported_recently(self, plate: str, since: float) -> bool:
        horizon = since - self.settings.repeat_timeout
        return any(
            seen >= horizon
            and edit_distance(plate, known, VOTE_SIMILAR_DISTANCE) <= VOTE_SIMILAR_DISTANCE
            for known, seen in self._recent.items()
        )

    def _arm_pass_timer(self) -> None:
        self._cancel_pass_timer()
        self._cancel_timeout = self.hub.scheduler.async_call_later(
            self.settings.pass_timeout, self._on_pass_timeout
        )

    def _cancel_pass_timer(self) -> None:
        if self._cancel_timeout is not None:
            self._cancel_timeout()
            self._cancel_timeout = None

    async def _on_pass_timeout(self, _now: datetime) -> None:
        self._cancel_timeout = None
        vote = self.voter.close()
        if vote is not None:
            await self._async_vote(vote, None)


def _looked_at(shape: tuple[int, ...], zone: np.ndarray | None) -> tuple[int, int, int, int]:
    """The part of the frame the reader looks at (x0, y0, x1, y1): the zone's bounds."""
    height, width = shape[:2]
    if zone is None:
        return (0, 0, width, height)
    x, y, w, h = cv2.boundingRect(np.asarray(zone, dtype=np.int32))
    return (max(0, x), max(0, y), min(width, x + w), min(height, y + h))


def _touches_edge(box: tuple[int, int, int, int], area: tuple[int, int, int, int]) -> bool:
    """True when a plate box reaches the edge of the looked-at area: the plate may be cut."""
    x, y, w, h = box
    x0, y0, x1, y1 = area
    return (
        x - x0 < EDGE_MARGIN
        or y - y0 < EDGE_MARGIN
        or x1 - (x + w) < EDGE_MARGIN
        or y1 - (y + h) < EDGE_MARGIN
    )
