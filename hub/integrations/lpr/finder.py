"""Cheap plate candidates: where a frame shows a row of high-contrast upright strokes.

Running the OCR engine's text detector over a whole 720p frame costs about a second on
one core; this finder costs a few milliseconds. It looks for what every plate has in
common whatever its country: a band, a few times wider than tall, densely crossed by
vertical character edges, dark on light (black-hat) or light on dark (top-hat). The
reader then checks each candidate by reading it, so a false candidate costs one
recognition call and a missed one costs the plate: the finder errs towards many.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import cv2
import numpy as np

# The frame is searched at this width (a 1280 frame at half size): plates of 60 px and
# more in the frame keep strokes a few pixels wide, and the morphology stays cheap.
SEARCH_WIDTH: Final = 640
# Plate candidates: width/height of the character band, and its height in search pixels.
MIN_ASPECT: Final = 1.4
MAX_ASPECT: Final = 9.0
MIN_HEIGHT: Final = 7
MAX_HEIGHT_SHARE: Final = 0.3  # of the searched image's height


@dataclass(frozen=True, slots=True)
class Candidate:
    """A region that may hold a plate's characters, in frame pixels, and how plate-like."""

    box: tuple[int, int, int, int]  # x, y, w, h
    score: float


def find_candidates(image: np.ndarray, limit: int = 8) -> list[Candidate]:
    """Up to `limit` candidate character bands in a BGR or grey image, best first."""
    grey = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    height, width = grey.shape[:2]
    scale = min(1.0, SEARCH_WIDTH / width)
    if scale < 1.0:
        size = (round(width * scale), round(height * scale))
        grey = cv2.resize(grey, size, interpolation=cv2.INTER_AREA)
    found: list[Candidate] = []
    for kernel_w in (13, 25, 41):
        kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (kernel_w, max(5, kernel_w // 3)))
        for dark_text, operation in ((True, cv2.MORPH_BLACKHAT), (False, cv2.MORPH_TOPHAT)):
            strokes = cv2.morphologyEx(grey, operation, kernel)
            for band in _bands(strokes, kernel_w):
                glyphs = _glyphs(grey, band.box, dark_text)
                if glyphs >= 3:
                    found.append(Candidate(band.box, band.score * min(glyphs, 8)))
    boxes = _merge(found, scale)
    return boxes[:limit]


def _bands(strokes: np.ndarray, kernel_w: int) -> list[Candidate]:
    """Rows of vertical edges in a stroke map, closed into bands and filtered by shape."""
    edges = np.abs(cv2.Sobel(strokes, cv2.CV_16S, 1, 0, ksize=3)).astype(np.float32)
    peak = float(edges.max())
    if peak <= 0:
        return []
    edges = cv2.GaussianBlur(edges * (255.0 / peak), (5, 5), 0).astype(np.uint8)
    _, mask = cv2.threshold(edges, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    mask = cv2.morphologyEx(
        mask, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (kernel_w, 3))
    )
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8), iterations=2)
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    max_height = MAX_HEIGHT_SHARE * strokes.shape[0]
    bands: list[Candidate] = []
    for contour in contours:
        x, y, w, h = cv2.boundingRect(contour)
        if h < MIN_HEIGHT or h > max_height or not MIN_ASPECT <= w / h <= MAX_ASPECT:
            continue
        fill = cv2.contourArea(contour) / float(w * h)
        if fill < 0.45:
            continue
        density = float(edges[y : y + h, x : x + w].mean()) / 255.0
        contrast = float(strokes[y : y + h, x : x + w].std()) / 64.0
        bands.append(Candidate((x, y, w, h), density * fill * (1 + contrast)))
    return bands


def _glyphs(grey: np.ndarray, box: tuple[int, int, int, int], dark_text: bool) -> int:
    """How many character-sized blobs stand side by side in the band: plates have 4-9."""
    x, y, w, h = box
    pad_y, pad_x = h // 2, h // 3
    top, left = max(0, y - pad_y), max(0, x - pad_x)
    patch = grey[top : y + h + pad_y, left : x + w + pad_x]
    if patch.size == 0:
        return 0
    flags = cv2.THRESH_BINARY_INV if dark_text else cv2.THRESH_BINARY
    _, ink = cv2.threshold(patch, 0, 255, flags | cv2.THRESH_OTSU)
    count, _, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    heights = [
        int(stats[i, cv2.CC_STAT_HEIGHT])
        for i in range(1, count)
        if 0.45 * h <= stats[i, cv2.CC_STAT_HEIGHT] <= 1.6 * h
        and stats[i, cv2.CC_STAT_WIDTH] <= 1.1 * stats[i, cv2.CC_STAT_HEIGHT]
        and stats[i, cv2.CC_STAT_AREA]
        >= 0.1 * stats[i, cv2.CC_STAT_WIDTH] * stats[i, cv2.CC_STAT_HEIGHT]
    ]
    if not heights:
        return 0
    median = float(np.median(heights))
    return sum(1 for value in heights if 0.7 * median <= value <= 1.3 * median)


def _merge(found: list[Candidate], scale: float) -> list[Candidate]:
    """Best first, dropping a band that mostly overlaps a better one; in frame pixels."""
    found.sort(key=lambda c: c.score, reverse=True)
    kept: list[Candidate] = []
    for candidate in found:
        if any(_overlap(candidate.box, other.box) > 0.6 for other in kept):
            continue
        kept.append(candidate)
    return [
        Candidate(tuple(round(v / scale) for v in c.box), c.score)  # type: ignore[arg-type]
        for c in kept
    ]


def _overlap(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> float:
    """Intersection over the smaller box's area."""
    ix = max(0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    return ix * iy / float(min(a[2] * a[3], b[2] * b[3]))
