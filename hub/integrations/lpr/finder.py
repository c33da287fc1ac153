"""Cheap plate candidates: where a frame shows a row of high-contrast upright strokes.

Running the OCR engine's text detector over a whole 720p frame costs about a second on
one core; this finder costs a few milliseconds. It looks for what every plate has in
common whatever its country: a band, a few times wider than tall, densely crossed by
vertical character edges, dark on light (black-hat) or light on dark (top-hat). The
reader then checks each candidate by reading it, so a false candidate costs one
recognition call and a missed one costs the plate: the finder errs towards many.
"""

from __future__ import annotations

import math
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
# Characters are looked for this many band heights beyond the band's ends.
GLYPH_REACH: Final = 1.0
# With this many characters in a row, the band is tightened to them.
MIN_TIGHTEN: Final = 4
# A blob this solid and wider than a 1 is a block (a country strip), not a character.
SOLID: Final = 0.8
# A row of characters is followed up to this tilt (degrees): a camera's roll, a plate
# hung askew.
MAX_TILT: Final = 20.0


@dataclass(frozen=True, slots=True)
class Candidate:
    """A region that may hold a plate's characters, in frame pixels, and how plate-like."""

    box: tuple[int, int, int, int]  # x, y, w, h
    score: float
    angle: float = 0.0  # the row's tilt in degrees (image y down: > 0 falls to the right)


def find_candidates(
    image: np.ndarray, limit: int = 8, search_width: int = SEARCH_WIDTH
) -> list[Candidate]:
    """Up to `limit` candidate character bands in a BGR or grey image, best first,
    searched at most `search_width` pixels wide."""
    grey = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    height, width = grey.shape[:2]
    scale = min(1.0, search_width / width)
    if scale < 1.0:
        size = (round(width * scale), round(height * scale))
        grey = cv2.resize(grey, size, interpolation=cv2.INTER_AREA)
    found: list[Candidate] = []
    for kernel_w in (13, 25, 41):
        kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (kernel_w, max(5, kernel_w // 3)))
        for dark_text, operation in ((True, cv2.MORPH_BLACKHAT), (False, cv2.MORPH_TOPHAT)):
            strokes = cv2.morphologyEx(grey, operation, kernel)
            for band in _bands(strokes, kernel_w):
                glyphs, tight, angle = _glyphs(grey, band.box, dark_text)
                if glyphs >= 3:
                    found.append(Candidate(tight, band.score * min(glyphs, 8), angle))
    boxes = _merge(found, scale)
    return boxes[:limit]


def tighten(
    image: np.ndarray, box: tuple[int, int, int, int]
) -> tuple[tuple[int, int, int, int], float] | None:
    """A text line's box narrowed to its row of characters (dark on light or light on
    dark, whichever shows more), in the same pixels, and the row's tilt; None when no
    row shows."""
    grey = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    dark = _glyphs(grey, box, True)
    light = _glyphs(grey, box, False)
    count, tight, angle = dark if dark[0] >= light[0] else light
    return (tight, angle) if count >= MIN_TIGHTEN else None


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


def _glyphs(
    grey: np.ndarray, box: tuple[int, int, int, int], dark_text: bool
) -> tuple[int, tuple[int, int, int, int], float]:
    """How many character-sized blobs stand in a row in the band (plates have 4 to 9),
    the box around them (the band tightened to the characters, without a country strip or
    an emblem beside them, taller or shorter than the characters) and the row's tilt."""
    x, y, w, h = box
    pad_y, pad_x = h // 2, int(GLYPH_REACH * h)
    top, left = max(0, y - pad_y), max(0, x - pad_x)
    patch = grey[top : y + h + pad_y, left : x + w + pad_x]
    if patch.size == 0:
        return 0, box, 0.0
    flags = cv2.THRESH_BINARY_INV if dark_text else cv2.THRESH_BINARY
    _, ink = cv2.threshold(patch, 0, 255, flags | cv2.THRESH_OTSU)
    count, _, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    shaped = [
        (int(bx), int(by), int(bw), int(bh), int(bw) <= 1.1 * bh)
        for bx, by, bw, bh, area in stats[1:count]
        if 0.45 * h <= bh <= 1.6 * h
        and bw <= 8 * bh
        and area >= 0.1 * bw * bh
        # A solid block (a country strip around its letters) is no character; a 1 is.
        and not (area > SOLID * bw * bh and bw > 0.35 * bh)
    ]
    single = [b for b in shaped if b[4]]  # one character each (touching ones are wider)
    if not single:
        return 0, box, 0.0
    median_h = float(np.median([b[3] for b in single]))
    alike = [b for b in shaped if 0.7 * median_h <= b[3] <= 1.3 * median_h]
    centres = [(b[0] + b[2] / 2, b[1] + b[3] / 2) for b in alike if b[4]]
    slope, offset = _row_line(centres, median_h)
    row = [
        b
        for b in alike
        if abs(b[1] + b[3] / 2 - (slope * (b[0] + b[2] / 2) + offset)) <= 0.35 * median_h
    ]
    count = sum(1 if b[4] else round(b[2] / (0.6 * b[3])) for b in row)
    if count < MIN_TIGHTEN:
        return count, box, 0.0
    x0, y0 = min(b[0] for b in row), min(b[1] for b in row)
    x1, y1 = max(b[0] + b[2] for b in row), max(b[1] + b[3] for b in row)
    return count, (left + x0, top + y0, x1 - x0, y1 - y0), math.degrees(math.atan(slope))


def _row_line(centres: list[tuple[float, float]], height: float) -> tuple[float, float]:
    """The line (slope, offset: y = slope * x + offset) through a row of characters'
    centres: the median of the slopes between characters apart from each other (a
    stray blob above or below the row moves it little), then the median offset."""
    slopes = [
        (y1 - y0) / (x1 - x0)
        for i, (x0, y0) in enumerate(centres)
        for x1, y1 in centres[i + 1 :]
        if abs(x1 - x0) >= height * 0.5
    ]
    limit = math.tan(math.radians(MAX_TILT))
    slope = 0.0
    if len(centres) >= 3 and slopes:
        slope = float(np.clip(np.median(slopes), -limit, limit))
    offset = float(np.median([y - slope * x for x, y in centres])) if centres else 0.0
    return slope, offset


def _merge(found: list[Candidate], scale: float) -> list[Candidate]:
    """Best first, dropping a band that mostly overlaps a better one; in frame pixels."""
    found.sort(key=lambda c: c.score, reverse=True)
    kept: list[Candidate] = []
    for candidate in found:
        if any(_overlap(candidate.box, other.box) > 0.6 for other in kept):
            continue
        kept.append(candidate)
    return [
        Candidate(tuple(round(v / scale) for v in c.box), c.score, c.angle)  # type: ignore[arg-type]
        for c in kept
    ]


def _overlap(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> float:
    """Intersection over the smaller box's area."""
    ix = max(0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    return ix * iy / float(min(a[2] * a[3], b[2] * b[3]))
