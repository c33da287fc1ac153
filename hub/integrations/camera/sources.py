"""Frame sources: the blocking side of a camera, driven by one worker thread each.

Every source has the same two steps, so the worker can keep latest-frame semantics for
all of them: `grab()` takes the next frame off the wire without decoding it, and
`retrieve()` decodes the frame last grabbed. A *push* source (an MJPEG or RTSP stream, a
USB camera, a video file played at its fps) produces frames at its own pace and `grab()`
waits for the next one; the worker decodes only those a consumer wants. A *pull* source
(a snapshot URL, the demo lot) makes a frame when asked, so the worker grabs only when one
is due. This module never imports the hub: it could run on another machine.
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import cv2
import numpy as np

from .const import IO_TIMEOUT
from .frame import Image
from .http_client import HttpError, open_url

__all__ = [
    "BadFrame",
    "CaptureSource",
    "DemoSource",
    "FileSource",
    "FrameSource",
    "MjpegSource",
    "SnapshotSource",
    "SourceError",
    "decode_jpeg",
]

# A multipart part bigger than this is not a camera frame: the stream is garbled.
MAX_PART_BYTES = 16 * 1024 * 1024
READ_CHUNK = 64 * 1024
DEFAULT_FILE_FPS = 25.0


class SourceError(Exception):
    """The source cannot give frames (unreachable, refused, ended): retry later."""


class BadFrame(SourceError):
    """One frame could not be decoded; the stream itself is still fine."""


def decode_jpeg(data: bytes, what: str) -> Image:
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        raise BadFrame(f"{what}: {len(data)} bytes that are not a JPEG/PNG image")
    return cast(Image, image)


class FrameSource:
    """Base class: see the module docstring. Used by one thread only."""

    pushes: bool = True
    # Pull sources: never ask more often than this (a snapshot URL's poll interval).
    min_interval: float = 0.0
    # Hub time the last grabbed frame shows, for sources that know it (the demo renders
    # for a given moment); None: the worker stamps the frame when it arrives.
    captured_at: float | None = None

    def __init__(self, describe: str) -> None:
        self.describe = describe
        # Set by the worker to its own stop event, so waits inside a source end at stop.
        self.stopping = threading.Event()

    def open(self) -> None:
        """Connect; raises SourceError saying why not."""

    def grab(self) -> None:
        """Take the next frame (push: wait for it); raises SourceError when the source fails."""
        raise NotImplementedError

    def retrieve(self) -> Image:
        """Decode the frame last grabbed; raises BadFrame for one that cannot be decoded."""
        raise NotImplementedError

    def close(self) -> None:
        """Let go of the connection (called after open, also after a failure)."""


class MjpegSource(FrameSource):
    """An HTTP multipart stream (`multipart/x-mixed-replace`) of JPEGs, as most IP cameras serve.

    Parts are cut at the boundary the server declares; a part's Content-Length is used
    when present (so a frame is ready as soon as it arrives), else the next boundary ends it.
    """

    def __init__(self, url: str, username: str | None = None, password: str | None = None) -> None:
        super().__init__(url)
        self._url = url
        self._auth = (username, password) if username else None
        self._response: Any = None
        self._buffer = bytearray()
        self._marker = b""
        self._jpeg = b""

    def open(self) -> None:
        self._buffer.clear()
        try:
            self._response = open_url(self._url, self._auth, IO_TIMEOUT)
        except HttpError as err:
            raise SourceError(str(err)) from None
        content_type = self._response.headers.get("Content-Type", "")
        boundary = _boundary(content_type)
        if boundary is None:
            raise SourceError(
                f"{self._url} is not an MJPEG stream (Content-Type {content_type or 'missing'})"
            )
        self._marker = boundary.encode("latin-1")

    def close(self) -> None:
        if self._response is not None:
            self._response.close()
            self._response = None

    def _fill(self) -> None:
        try:
            chunk = self._response.read1(READ_CHUNK)
        except TimeoutError:
            raise SourceError(f"{self._url}: no data for {IO_TIMEOUT:.0f} s") from None
        except OSError as err:
            raise SourceError(f"{self._url}: {err}") from None
        if not chunk:
            raise SourceError(f"{self._url}: the stream ended")
        self._buffer += chunk
        if len(self._buffer) > MAX_PART_BYTES:
            raise SourceError(f"{self._url}: no frame boundary in {MAX_PART_BYTES} bytes")

    def grab(self) -> None:
        buffer, marker = self._buffer, self._marker
        while (start := buffer.find(marker)) < 0:
            del buffer[: max(0, len(buffer) - len(marker))]
            self._fill()
        del buffer[:start]
        while (head_end := buffer.find(b"\r\n\r\n")) < 0:
            self._fill()
        headers = bytes(buffer[len(marker) : head_end]).decode("latin-1").lower()
        body_start = head_end + 4
        length = _content_length(headers)
        if length is not None:
            while len(buffer) < body_start + length:
                self._fill()
            self._jpeg = bytes(buffer[body_start : body_start + length])
            del buffer[: body_start + length]
            return
        while (end := buffer.find(marker, body_start)) < 0:
            self._fill()
        self._jpeg = bytes(buffer[body_start:end]).rstrip(b"\r\n")
        del buffer[:end]

    def retrieve(self) -> Image:
        return decode_jpeg(self._jpeg, self._url)


def _boundary(content_type: str) -> str | None:
    """`--frame` from `multipart/x-mixed-replace; boundary=frame` (quotes and dashes tolerated)."""
    kind, _, params = content_type.partition(";")
    if not kind.strip().lower().startswith("multipart/"):
        return None
    for param in params.split(";"):
        key, _, value = param.strip().partition("=")
        if key.lower() == "boundary" and value.strip('"'):
            value = value.strip('"')
            return value if value.startswith("--") else f"--{value}"
    return None


def _content_length(headers: str) -> int | None:
    for line in headers.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "content-length" and value.strip().isdigit():
            return int(value.strip())
    return None


class SnapshotSource(FrameSource):
    """A still-image URL, fetched every `interval` seconds (or as often as consumers ask)."""

    pushes = False

    def __init__(
        self,
        url: str,
        interval: float,
        username: str | None = None,
        password: str | None = None,
    ) -> None:
        super().__init__(url)
        self._url = url
        self._auth = (username, password) if username else None
        self.min_interval = interval
        self._data = b""

    def grab(self) -> None:
        try:
            with open_url(self._url, self._auth, IO_TIMEOUT) as response:
                self._data = response.read(MAX_PART_BYTES + 1)
        except HttpError as err:
            raise SourceError(str(err)) from None
        except TimeoutError:
            raise SourceError(f"{self._url}: no answer in {IO_TIMEOUT:.0f} s") from None
        except OSError as err:
            raise SourceError(f"{self._url}: {err}") from None
        if len(self._data) > MAX_PART_BYTES:
            raise SourceError(f"{self._url}: answer larger than {MAX_PART_BYTES} bytes")

    def retrieve(self) -> Image:
        return decode_jpeg(self._data, self._url)


class CaptureSource(FrameSource):
    """Anything OpenCV's VideoCapture opens live: an RTSP URL (FFmpeg) or a USB camera."""

    def __init__(self, target: str | int, describe: str) -> None:
        super().__init__(describe)
        self._target = target
        self._capture: cv2.VideoCapture | None = None

    def _open_capture(self) -> cv2.VideoCapture:
        target = self._target
        if isinstance(target, int) or target.startswith("/dev/"):
            return cv2.VideoCapture(target)  # a USB camera: V4L2 picks it up
        # RTSP over TCP unless the owner says otherwise: UDP loses packets on Wi-Fi.
        os.environ.setdefault("OPENCV_FFMPEG_CAPTURE_OPTIONS", "rtsp_transport;tcp")
        timeout_ms = int(IO_TIMEOUT * 1000)
        params = [
            cv2.CAP_PROP_OPEN_TIMEOUT_MSEC,
            timeout_ms,
            cv2.CAP_PROP_READ_TIMEOUT_MSEC,
            timeout_ms,
        ]
        return cv2.VideoCapture(target, cv2.CAP_FFMPEG, params)

    def open(self) -> None:
        capture = self._open_capture()
        if not capture.isOpened():
            capture.release()
            raise SourceError(f"cannot open {self.describe}")
        self._capture = capture

    def close(self) -> None:
        if self._capture is not None:
            self._capture.release()
            self._capture = None

    def grab(self) -> None:
        assert self._capture is not None
        if not self._capture.grab():
            raise SourceError(f"{self.describe}: no frame (the stream stopped)")

    def retrieve(self) -> Image:
        assert self._capture is not None
        ok, image = self._capture.retrieve()
        if not ok or image is None:
            raise BadFrame(f"{self.describe}: a frame could not be decoded")
        return cast(Image, image)


class FileSource(CaptureSource):
    """A video file played in a loop at its own fps, or at `fps` when given."""

    def __init__(self, path: Path, fps: float | None = None) -> None:
        super().__init__(str(path), str(path))
        self._path = path
        self._fps = fps
        self._interval = 0.0
        self._next = 0.0

    def _open_capture(self) -> cv2.VideoCapture:
        return cv2.VideoCapture(str(self._path))

    def open(self) -> None:
        if not self._path.is_file():
            raise SourceError(f"video file not found: {self._path}")
        super().open()
        assert self._capture is not None
        own = self._capture.get(cv2.CAP_PROP_FPS)
        fps = self._fps or (own if own > 0 and math.isfinite(own) else DEFAULT_FILE_FPS)
        self._interval = 1.0 / fps
        self._next = time.monotonic()

    def grab(self) -> None:
        assert self._capture is not None
        wait = self._next - time.monotonic()
        if wait > 0 and self.stopping.wait(wait):
            raise SourceError("stopping")
        self._next = max(self._next + self._interval, time.monotonic() - self._interval)
        if self._capture.grab():
            return
        # The end: play it again from the start.
        self._capture.set(cv2.CAP_PROP_POS_FRAMES, 0)
        if not self._capture.grab():
            raise SourceError(f"{self._path}: no frames could be read")


class DemoSource(FrameSource):
    """A view of the demo lot, rendered on demand for the hub's current time."""

    pushes = False

    def __init__(
        self, render: Callable[[float], Image], clock: Callable[[], float], view: str
    ) -> None:
        super().__init__(f"demo {view} view")
        self._render = render
        self._clock = clock
        self._image: Image | None = None

    def grab(self) -> None:
        self.captured_at = self._clock()
        self._image = self._render(self.captured_at)

    def retrieve(self) -> Image:
        assert self._image is not None
        return self._image
