"""Propose slot polygons for a camera view, for an owner to correct.

Two ways, tried in order:

1. **Painted lines.** Bright thin strokes (white or yellow paint) are found with a
   morphological top-hat and a probabilistic Hough transform. Lines of the dominant
   direction are merged, sorted across that direction, and each pair of neighbouring
   lines whose spacing is typical for the row becomes a slot: the quadrilateral between
   their overlapping stretches.
2. **Cars that stand still.** Over several frames, strong edges that stay put are parked
   cars (passing cars blur out of the per-pixel median). Each blob of steady texture of a
   car's size becomes a slot: its rotated bounding rectangle.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from .slots import Slot

__all__ = ["suggest_slots"]

Image = npt.NDArray[np.uint8]


@dataclass
class _Line:
    offset: float  # distance across the line direction
    start: float  # extent along it
    end: float


def _paint_mask(grey: Image) -> Image:
    # Paint strokes are a few pixels wide: a small opening removes them and little else.
    size = max(5, (min(grey.shape) // 100) | 1)
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (size, size))
    tophat = cv2.morphologyEx(grey, cv2.MORPH_TOPHAT, kernel)
    threshold = max(30.0, float(tophat.mean() + 3 * tophat.std()))
    return np.asarray(tophat > threshold, np.uint8) * 255


def _lines(mask: Image, min_length: float) -> tuple[float, list[_Line]]:
    segments = cv2.HoughLinesP(mask, 1, np.pi / 180, 25, minLineLength=min_length, maxLineGap=6)
    if segments is None:
        return 0.0, []
    segments = segments.reshape(-1, 4).astype(np.float64)
    dx, dy = segments[:, 2] - segments[:, 0], segments[:, 3] - segments[:, 1]
    angles = np.degrees(np.arctan2(dy, dx)) % 180
    lengths = np.hypot(dx, dy)
    histogram = np.bincount((angles // 5).astype(int) % 36, weights=lengths, minlength=36)
    peak = int(np.argmax(histogram))
    near = np.minimum(np.abs(angles - (peak * 5 + 2.5)), 180 - np.abs(angles - (peak * 5 + 2.5)))
    chosen = segments[near <= 7.5]
    angle = float(np.radians(np.median(angles[near <= 7.5])))
    direction = np.array([np.cos(angle), np.sin(angle)])
    normal = np.array([-direction[1], direction[0]])
    lines = []
    for x0, y0, x1, y1 in chosen:
        a, b = np.array([x0, y0]), np.array([x1, y1])
        t0, t1 = sorted((float(a @ direction), float(b @ direction)))
        lines.append(_Line(float((a + b) @ normal / 2), t0, t1))
    return angle, _merge(lines)


def _merge(lines: list[_Line]) -> list[_Line]:
    """One line per painted stroke: pieces at the same offset whose extents touch."""
    merged: list[_Line] = []
    for line in sorted(lines, key=lambda item: (round(item.offset / 4), item.start)):
        for other in merged:
            if abs(other.offset - line.offset) < 4 and line.start <= other.end + 10:
                if line.end > other.end:
                    other.end = line.end
                other.start = min(other.start, line.start)
                break
        else:
            merged.append(_Line(line.offset, line.start, line.end))
    return sorted(merged, key=lambda item: item.offset)


def _from_lines(grey: Image) -> list[list[tuple[float, float]]]:
    min_length = min(grey.shape) / 25
    angle, lines = _lines(_paint_mask(grey), min_length)
    direction = np.array([np.cos(angle), np.sin(angle)])
    normal = np.array([-direction[1], direction[0]])
    pairs = []
    for index, first in enumerate(lines):
        # The nearest line further across that starts and ends about where this one does:
        # the two sides of one space.
        length = first.end - first.start
        for second in lines[index + 1 :]:
            gap = second.offset - first.offset
            if gap < 6 or gap > 3 * length:
                continue
            if (
                abs(second.start - first.start) <= 0.3 * length
                and abs(second.end - first.end) <= 0.3 * length
            ):
                pairs.append((first, second, gap, length))
                break
    if not pairs:
        return []
    typical = float(np.median([gap for _, _, gap, _ in pairs]))
    polygons = []
    for first, second, gap, _ in pairs:
        if not 0.6 * typical <= gap <= 1.5 * typical:
            continue
        start, end = max(first.start, second.start), min(first.end, second.end)
        corners = [
            start * direction + first.offset * normal,
            end * direction + first.offset * normal,
            end * direction + second.offset * normal,
            start * direction + second.offset * normal,
        ]
        polygons.append([(float(x), float(y)) for x, y in corners])
    return polygons


def _from_cars(frames: Sequence[Image]) -> list[list[tuple[float, float]]]:
    edges = [cv2.Canny(cv2.GaussianBlur(frame, (5, 5), 0), 50, 150) for frame in frames]
    steady = np.median(np.stack(edges), axis=0).astype(np.uint8) if len(edges) > 1 else edges[0]
    size = max(5, min(steady.shape) // 60)
    blobs = cv2.morphologyEx(
        steady, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
    )
    blobs = cv2.morphologyEx(blobs, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    contours, _ = cv2.findContours(blobs, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    area = steady.shape[0] * steady.shape[1]
    polygons = []
    for contour in contours:
        (cx, cy), (w, h), angle = cv2.minAreaRect(contour)
        long, short = max(w, h), min(w, h)
        if (
            not area * 0.0015 <= w * h <= area * 0.05
            or short == 0
            or not 1.3 <= long / short <= 3.5
        ):
            continue
        box = cv2.boxPoints(((cx, cy), (w * 1.1, h * 1.1), angle))
        polygons.append([(float(x), float(y)) for x, y in box])
    return polygons


def suggest_slots(frames: Sequence[Image]) -> list[Slot]:
    """Slots proposed from one or more BGR frames of the same view, numbered from 1 in
    reading order (top to bottom, left to right)."""
    greys = [np.asarray(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY), np.uint8) for frame in frames]
    polygons = _from_lines(greys[0])
    if len(polygons) < 2:
        polygons = _from_cars(greys)
    height = greys[0].shape[0]
    row = max(1.0, height / 20)

    def reading_order(polygon: list[tuple[float, float]]) -> tuple[float, float]:
        xs, ys = zip(*polygon, strict=True)
        return (round(sum(ys) / len(ys) / row), sum(xs) / len(xs))

    polygons.sort(key=reading_order)
    return [
        Slot(str(index), tuple((max(0.0, x), max(0.0, y)) for x, y in polygon))
        for index, polygon in enumerate(polygons, start=1)
    ]
