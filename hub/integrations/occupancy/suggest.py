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


def _segments(mask: Image, min_length: float) -> npt.NDArray[np.float64]:
    # A generous gap joins the dashes of worn or dashed paint into one stroke.
    gap = max(6, round(min_length / 2))
    found = cv2.HoughLinesP(mask, 1, np.pi / 180, 25, minLineLength=min_length, maxLineGap=gap)
    if found is None:
        return np.zeros((0, 4))
    return np.asarray(found.reshape(-1, 4), np.float64)


def _directions(segments: npt.NDArray[np.float64]) -> list[float]:
    """The two most common stroke directions (radians), most common first."""
    dx, dy = segments[:, 2] - segments[:, 0], segments[:, 3] - segments[:, 1]
    angles = np.degrees(np.arctan2(dy, dx)) % 180
    histogram = np.bincount((angles // 10).astype(int) % 18, minlength=18)
    found = []
    for peak in np.argsort(histogram)[::-1][:2]:
        centre = peak * 10 + 5
        near = np.minimum(np.abs(angles - centre), 180 - np.abs(angles - centre)) <= 10
        if near.any():
            found.append(float(np.radians(np.median(angles[near]))))
    return found


def _lines(segments: npt.NDArray[np.float64], angle: float, join: float) -> list[_Line]:
    """Segments within 10 degrees of `angle`, as merged lines in that frame."""
    direction = np.array([np.cos(angle), np.sin(angle)])
    normal = np.array([-direction[1], direction[0]])
    lines = []
    for x0, y0, x1, y1 in segments:
        a, b = np.array([x0, y0]), np.array([x1, y1])
        along = b - a
        cosine = abs(float(along @ direction)) / (float(np.linalg.norm(along)) or 1.0)
        if cosine < np.cos(np.radians(10)):
            continue
        t0, t1 = sorted((float(a @ direction), float(b @ direction)))
        lines.append(_Line(float((a + b) @ normal / 2), t0, t1))
    merged = _merge(lines, join)
    if merged:
        # Lot borders and kerbs run far longer than the lines between two spaces.
        typical = float(np.median([line.end - line.start for line in merged]))
        merged = [line for line in merged if line.end - line.start <= 2.5 * typical]
    return merged


def _merge(lines: list[_Line], join: float) -> list[_Line]:
    """One line per painted stroke: pieces at the same offset less than `join` apart
    (the dashes of a dashed line)."""
    merged: list[_Line] = []
    for line in sorted(lines, key=lambda item: (item.start, item.offset)):
        for other in merged:
            if abs(other.offset - line.offset) < 5 and line.start <= other.end + join:
                if line.end > other.end:
                    other.end = line.end
                other.start = min(other.start, line.start)
                break
        else:
            merged.append(_Line(line.offset, line.start, line.end))
    return sorted(merged, key=lambda item: item.offset)


def _from_lines(grey: Image) -> list[list[tuple[float, float]]]:
    """Slots between painted lines, in whichever of the two main stroke directions
    yields more of them."""
    segments = _segments(_paint_mask(grey), min(grey.shape) / 25)
    if not len(segments):
        return []
    join = min(grey.shape) / 20
    found = [_between(_lines(segments, angle, join), angle) for angle in _directions(segments)]
    return max(found, key=len, default=[])


def _rows(lines: list[_Line]) -> list[list[_Line]]:
    """Lines side by side along one row of spaces: their middles (along the lines) agree
    to within half the length of a whole stroke, however much of each stroke was found."""
    if not lines:
        return []
    tolerance = 0.5 * float(np.percentile([line.end - line.start for line in lines], 90))
    rows: list[list[_Line]] = []
    for line in sorted(lines, key=lambda item: (item.start + item.end) / 2):
        middle = (line.start + line.end) / 2
        if rows and middle - np.mean([(x.start + x.end) / 2 for x in rows[-1]]) <= tolerance:
            rows[-1].append(line)
        else:
            rows.append([line])
    return [row for row in rows if len(row) >= 3]


def _fits(gap: float, width: float) -> bool:
    count = round(gap / width)
    return 1 <= count <= 4 and abs(gap - count * width) <= 0.25 * width


def _typical_width(gaps: npt.NDArray[np.float64]) -> float:
    """The space width that best explains the gaps: one space each counts most, two to
    four (a hidden line) less. A kerb or a stray stroke makes odd gaps that a median
    would follow; the wider width wins a tie, so spaces are not cut in halves."""

    def score(width: float) -> float:
        return sum((1.0 if round(g / width) == 1 else 0.4) for g in gaps if _fits(g, width))

    return float(max(sorted(gaps, reverse=True), key=score))


def _between(lines: list[_Line], angle: float) -> list[list[tuple[float, float]]]:
    """Spaces between neighbouring lines of each row. The row's extent comes from all its
    lines (a stroke half hidden by a car still counts), and a gap of several typical
    widths is a line the paint or a car hid (up to four): it is split into that many spaces."""
    direction = np.array([np.cos(angle), np.sin(angle)])
    normal = np.array([-direction[1], direction[0]])
    polygons = []
    for row in _rows(lines):
        start = float(np.percentile([line.start for line in row], 25))
        end = float(np.percentile([line.end for line in row], 75))
        offsets: list[float] = []
        for offset in sorted(line.offset for line in row):
            if not offsets or offset - offsets[-1] > 5:
                offsets.append(offset)
        gaps = np.diff(offsets)
        if not len(gaps):
            continue
        typical = _typical_width(gaps)
        for left, gap in zip(offsets, gaps, strict=False):
            if not _fits(gap, typical):
                continue
            count = round(gap / typical)
            for part in range(count):
                near = left + part * gap / count
                far = left + (part + 1) * gap / count
                corners = [
                    start * direction + near * normal,
                    end * direction + near * normal,
                    end * direction + far * normal,
                    start * direction + far * normal,
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
