"""The seeds' method, kept to measure against: adaptive threshold, then count set pixels.

grey -> Gaussian blur (3x3) -> adaptive threshold (Gaussian, block 25, C 16, inverted) ->
median blur (5) -> dilate (3x3): edges and texture become white pixels; a slot whose share
of white pixels exceeds a threshold is called occupied. It knows nothing about light or
scale, which is why it needs a threshold per view.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np
import numpy.typing as npt

from .sampler import Polygon

__all__ = ["DEFAULT_BASELINE_THRESHOLD", "baseline_ratios"]

# The seeds' 900 set pixels in a 104x49 slot.
DEFAULT_BASELINE_THRESHOLD = 0.18
_KERNEL = np.ones((3, 3), np.uint8)


def baseline_ratios(
    frame: npt.NDArray[np.uint8], polygons: Sequence[Polygon]
) -> npt.NDArray[np.float32]:
    """Share of set pixels inside each polygon of a BGR frame."""
    grey = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    blurred = cv2.GaussianBlur(grey, (3, 3), 1)
    binary = cv2.adaptiveThreshold(
        blurred, 255, cv2.ADAPTIVE_THRESH_GAUSSIAN_C, cv2.THRESH_BINARY_INV, 25, 16
    )
    binary = cv2.dilate(cv2.medianBlur(binary, 5), _KERNEL, iterations=1)
    ratios = np.zeros(len(polygons), np.float32)
    for index, polygon in enumerate(polygons):
        points = np.round(np.asarray(polygon, np.float32)).astype(np.int32)
        x, y, w, h = cv2.boundingRect(points)
        x0, y0 = max(x, 0), max(y, 0)
        crop = binary[y0 : y + h, x0 : x + w]
        mask = np.zeros(crop.shape, np.uint8)
        cv2.fillPoly(mask, [points - (x0, y0)], 1)
        area = int(mask.sum())
        ratios[index] = float((crop[mask > 0] > 0).sum()) / area if area else 0.0
    return ratios
