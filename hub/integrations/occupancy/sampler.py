"""Cut every slot of a frame out as a small upright patch, all in one `cv2.remap` call.

Slots are fixed while a camera runs, so the sampling maps are built once per lot: each
slot's outline is mapped (perspective) onto a PATCH_H x PATCH_W rectangle with its long
side horizontal, point-sampled at twice that size (nearest pixel: a third of the cost of
bilinear) and box-filtered down, so each patch pixel averages four samples of the slot and
a big slot near the camera and a small one far away end up at the same scale. Every view then
looks alike to the classifier, which is what lets one model work on cameras it never saw.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np
import numpy.typing as npt

from .const import PATCH_H, PATCH_W

__all__ = ["Polygon", "SlotSampler", "slot_quad"]

Polygon = Sequence[tuple[float, float]]
_SUPER = 2  # supersampling factor before the box filter


def slot_quad(polygon: Polygon) -> npt.NDArray[np.float32]:
    """Four corners of the slot, in order around it, starting on a long side.

    A convex four-point outline keeps its corners (perspective matters), in whatever
    order they were listed; any other outline is replaced by its smallest enclosing
    rotated rectangle.
    """
    points = np.asarray(polygon, dtype=np.float32).reshape(-1, 2)
    hull = cv2.convexHull(points).reshape(-1, 2)
    if len(hull) == 4:
        points = hull.astype(np.float32)
    else:
        points = cv2.boxPoints(cv2.minAreaRect(points)).astype(np.float32)
    edges = np.linalg.norm(np.roll(points, -1, axis=0) - points, axis=1)
    if edges[0] + edges[2] < edges[1] + edges[3]:
        points = np.roll(points, -1, axis=0)
    return points


class SlotSampler:
    """Maps built once for a set of slot polygons; `patches(frame)` cuts them all out."""

    def __init__(self, polygons: Sequence[Polygon]) -> None:
        self.count = len(polygons)
        height, width = PATCH_H * _SUPER, PATCH_W * _SUPER
        target = np.array([[0, 0], [width, 0], [width, height], [0, height]], np.float32)
        # Pixel centres of the supersampled patch, in homogeneous coordinates.
        ys, xs = np.mgrid[0:height, 0:width].astype(np.float32) + 0.5
        grid = np.stack([xs.ravel(), ys.ravel(), np.ones(xs.size, np.float32)])
        map_x = np.empty((max(self.count, 1) * height, width), np.float32)
        map_y = np.empty_like(map_x)
        for index, polygon in enumerate(polygons):
            matrix = cv2.getPerspectiveTransform(target, slot_quad(polygon))
            source = matrix @ grid
            rows = slice(index * height, (index + 1) * height)
            map_x[rows] = (source[0] / source[2]).reshape(height, width)
            map_y[rows] = (source[1] / source[2]).reshape(height, width)
        # Integer pixel positions only: nearest-pixel sampling needs no interpolation table.
        self._map, self._unused = cv2.convertMaps(map_x, map_y, cv2.CV_16SC2, nninterpolation=True)

    def patches(self, frame: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
        """All slots of a frame (grey, or BGR converted here) as (N, PATCH_H, PATCH_W)."""
        if self.count == 0:
            return np.zeros((0, PATCH_H, PATCH_W), np.uint8)
        if frame.ndim == 3:
            frame = np.asarray(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY), np.uint8)
        big = cv2.remap(
            frame, self._map, self._unused, cv2.INTER_NEAREST, borderMode=cv2.BORDER_REPLICATE
        )
        small = cv2.resize(big, (PATCH_W, PATCH_H * self.count), interpolation=cv2.INTER_AREA)
        return np.asarray(small, np.uint8).reshape(self.count, PATCH_H, PATCH_W)
