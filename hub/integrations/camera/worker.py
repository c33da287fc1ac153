"""The thread behind one camera: connect, grab, decode only what is wanted, retry with backoff.

Latest-frame semantics end to end: the thread keeps one pending frame for the loop and
replaces it if the loop has not taken it yet (counted in `dropped`), so a busy loop never
builds a queue of frames, and it decodes only as many frames as the fastest consumer asks
for (`demand`). With no consumer it still takes one frame every IDLE_INTERVAL.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from contextlib import suppress

from .const import BACKOFF_INITIAL, BACKOFF_MAX, IDLE_INTERVAL
from .frame import Frame, Image
from .sources import BadFrame, FrameSource, SourceError

__all__ = ["CameraWorker"]

_LOGGER = logging.getLogger(__name__)

JOIN_TIMEOUT = 10.0
# This many undecodable frames in a row mean the source is not a camera (a login page).
BAD_FRAME_LIMIT = 5


class CameraWorker:
    """Runs one FrameSource in a thread named `camera-<id>`; reports back on the loop.

    `on_frame(frame)` and `on_status(error)` (None once frames flow again) are called on
    the loop, through `call_soon_threadsafe`, in the order the thread produced them.
    """

    def __init__(
        self,
        camera_id: str,
        source: FrameSource,
        *,
        loop: asyncio.AbstractEventLoop,
        clock: Callable[[], float],
        on_frame: Callable[[Frame], None],
        on_status: Callable[[str | None], None],
        max_fps: float | None = None,
    ) -> None:
        self.camera_id = camera_id
        self.source = source
        self.max_fps = max_fps
        self.frames = 0  # delivered to the loop
        self.dropped = 0  # replaced before the loop took them
        self.bad_frames = 0
        # Frames per second the consumers want; 0 means nobody is watching.
        self._demand = 0.0
        self._loop = loop
        self._clock = clock
        self._on_frame = on_frame
        self._on_status = on_status
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._pending: Frame | None = None
        self._scheduled = False
        self._streaming = False
        source.stopping = self._stop
        self._thread = threading.Thread(target=self._run, name=f"camera-{camera_id}", daemon=True)

    # -- from the loop --------------------------------------------------------------------

    def start(self) -> None:
        self._thread.start()

    def set_demand(self, fps: float) -> None:
        self._demand = fps
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    def join(self) -> None:
        """Wait for the thread to end (blocking: call through the executor)."""
        self._thread.join(JOIN_TIMEOUT)
        if self._thread.is_alive():
            _LOGGER.warning("Camera %s did not stop within %.0f s", self.camera_id, JOIN_TIMEOUT)

    # -- in the thread --------------------------------------------------------------------

    def _rate(self) -> float:
        """Frames per second to decode now."""
        if self._demand <= 0:
            return 1.0 / IDLE_INTERVAL
        return min(self._demand, self.max_fps) if self.max_fps else self._demand

    def _run(self) -> None:
        backoff = BACKOFF_INITIAL
        while not self._stop.is_set():
            error: str | None = None
            self._streaming = False
            try:
                self.source.open()
                self._stream()
            except SourceError as err:
                error = str(err)
            except Exception as err:  # a bug or an OpenCV surprise: keep the camera alive
                _LOGGER.exception("Camera %s failed", self.camera_id)
                error = f"unexpected error: {err}"
            finally:
                with suppress(Exception):
                    self.source.close()
            if self._stop.is_set():
                break
            if self._streaming:
                backoff = BACKOFF_INITIAL
            self._call(self._on_status, error or "stopped giving frames")
            _LOGGER.debug("Camera %s: %s; retrying in %.0f s", self.camera_id, error, backoff)
            self._stop.wait(backoff)
            backoff = min(backoff * 2, BACKOFF_MAX)

    def _stream(self) -> None:
        source = self.source
        next_due = 0.0
        rate = self._rate()
        bad_in_a_row = 0
        while not self._stop.is_set():
            new_rate = self._rate()
            if new_rate != rate:
                # Asked for more (or less): the next frame is due one new interval after the last.
                next_due += 1.0 / new_rate - 1.0 / rate
                rate = new_rate
            interval = 1.0 / rate
            if source.pushes:
                source.grab()
                now = time.monotonic()
                # A fifth of an interval early is on time: frames jitter around the grid.
                if now < next_due - interval / 5:
                    continue
            else:
                interval = max(interval, source.min_interval)
                wait = next_due - time.monotonic()
                if wait > 0:
                    self._wake.wait(wait)
                    self._wake.clear()
                    continue
                source.grab()
                now = time.monotonic()
            try:
                image = source.retrieve()
            except BadFrame as err:
                self.bad_frames += 1
                bad_in_a_row += 1
                if bad_in_a_row >= BAD_FRAME_LIMIT:
                    raise SourceError(f"{err} ({bad_in_a_row} in a row)") from None
                _LOGGER.debug("Camera %s: %s (skipped)", self.camera_id, err)
                if not source.pushes:
                    next_due = now + interval
                continue
            bad_in_a_row = 0
            # A steady grid of due times, restarted here when the source fell behind it.
            next_due += interval
            if next_due < now:
                next_due = now + interval
            self._deliver(image)

    def _deliver(self, image: Image) -> None:
        if not self._streaming:
            self._streaming = True
            self._call(self._on_status, None)
        with self._lock:
            self.frames += 1
            if self._pending is not None:
                self.dropped += 1
            stamp = self.source.captured_at
            self._pending = Frame(image, self._clock() if stamp is None else stamp, self.frames)
            schedule = not self._scheduled
            self._scheduled = True
        if schedule:
            self._call(self._drain)

    def _call(self, func: Callable[..., None], *args: object) -> None:
        with suppress(RuntimeError):  # the loop is closed: the hub is gone
            self._loop.call_soon_threadsafe(func, *args)

    # -- back on the loop -----------------------------------------------------------------

    def _drain(self) -> None:
        with self._lock:
            frame, self._pending = self._pending, None
            self._scheduled = False
        if frame is not None and not self._stop.is_set():
            self._on_frame(frame)
