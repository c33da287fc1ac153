"""A cheap "did anything move in the lane?" check, so the reader runs only when it may matter.

Each frame is cut to the zone's bounding box, shrunk to a small grey image and blurred
(which averages sensor noise away), then compared with the previous one: motion is a
share of pixels changing by more than the threshold. About a millisecond per frame,
cheap enough for the loop.
"""

from __future__ import annotations

import cv2
import numpy as np

from .const import MOTION_MIN_SHARE, MOTION_WIDTH

__all__ = ["MotionDetector"]


class MotionDetector:
    def __init__(self, threshold: float, zone: np.ndarray | None) -> None:
        self.threshold = threshold
        self._zone = zone
        self._rect: tuple[int, int, int, int] | None = None
        self._mask: np.ndarray | None = None
        self._previous: np.ndarray | None = None

    def _prepare(self, image: np.ndarray) -> np.ndarray:
        height, width = image.shape[:2]
        if self._rect is None:
            if self._zone is not None:
                x, y, w, h = cv2.boundingRect(self._zone)
                x, y = max(0, x), max(0, y)
                w, h = min(w, width - x), min(h, height - y)
            else:
                x, y, w, h = 0, 0, width, height
            self._rect = (x, y, max(1, w), max(1, h))
        x, y, w, h = self._rect
        small_w = min(MOTION_WIDTH, w)
        small_h = max(1, round(h * small_w / w))
        grey = cv2.cvtColor(image[y : y + h, x : x + w], cv2.COLOR_BGR2GRAY)
        small = cv2.resize(grey, (small_w, small_h), interpolation=cv2.INTER_AREA)
        small = cv2.GaussianBlur(small, (5, 5), 0)
        if self._mask is None or self._mask.shape != small.shape:
            mask = np.ones(small.shape, np.uint8)
            if self._zone is not None:
                mask = np.zeros(small.shape, np.uint8)
                scale = small_w / w
                points = ((self._zone - (x, y)) * scale).astype(np.int32)
                cv2.fillPoly(mask, [points], 1)
            self._mask = mask.astype(bool)
        return small

    def update(self, image: np.ndarray) -> bool:
        """True when `image` differs from the previous frame.

        The first frame is only the reference: a hub starting up does not read every lane
        at once (a car already standing there is read when it moves, or by `lpr.scan`).
        """
        small = self._prepare(image)
        previous, self._previous = self._previous, small
        if previous is None or previous.shape != small.shape:
            return False
        assert self._mask is not None
        changed = cv2.absdiff(small, previous)[self._mask] > self.threshold
        return bool(changed.mean() > MOTION_MIN_SHARE) if changed.size else False
