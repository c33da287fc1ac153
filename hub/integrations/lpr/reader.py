"""The plate reader: one frame (or a lane zone of it) in, the plates it shows out.

Blocking and CPU-bound: the integration runs it in a worker thread. Finding text with
the engine's detector over a whole 720p frame costs about a second on one core, so the
reader works in steps:

1. the cheap finder (`finder.py`, a few ms) proposes bands of characters, tightened to
   their row of character-shaped blobs, and the engine's recogniser reads the best few,
   cropped from the full-resolution frame (about 20 ms each);
2. when none of them reads as a plate with a good score, a frame wider than the finder's
   640 px is searched again at up to 1280 px (a large photo's small plate);
3. only when that fails too does the engine's text detector run, on the frame scaled
   to `DETECT_SIDE` (a small photo enlarged); its lines are tightened to their
   characters the same way (dropping a country strip's letter) and read.

After each step a short best read is read again from a wider crop, as an emblem, a
dash or the plate's rim can cut a row short, and two rows one above the other that fit a
format together are read as one two-row plate. A tilted row (the line through its
characters' centres rises or falls 2 degrees or more) is read twice, turned level and as
it stands. Every crop is padded with mid-grey to a long line's shape before it is read
(the recogniser reads plates better so), after a European country strip at its left is
cut off.
A read counts when it fits one of the lot's plate formats (`formats.py`), which also fixes
look-alike characters and drops timestamps, signs and stickers; with the catch-all `any`,
a vanity plate of letters alone or a number plate of digits alone counts when nothing
else fits (with half its score).
Measured figures are in the README ("LPR accuracy and speed").
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Final

import cv2
import numpy as np

from hub.plates import normalize_plate

from .engines import LineFinder, OcrEngine
from .finder import SEARCH_WIDTH, find_candidates, tighten
from .formats import ONE_KIND_FORMATS, PlateFormats

# How many finder candidates are read before falling back to the text detector.
CANDIDATES: Final = 4
# A candidate read this sure of itself ends the search without the detector.
ACCEPT_SCORE: Final = 0.85
# The detector's fallback runs on the frame scaled so its longer side is at most this.
DETECT_SIDE: Final = 640
# A picture whose longer side is at most this share of DETECT_SIDE is a small photo with
# a small plate: it is enlarged to DETECT_SIDE instead (openalpr-eu's photos at half
# size: 77.8% -> 84.3% read right; the baseline, which enlarges every picture to 736 px
# on its short side at ten times the cost, 82.4%). A camera's frame or lane zone is
# larger and is searched at its own size, so a read of it costs no more.
ENLARGE_BELOW: Final = 0.5
# When the finder's bands read no sure plate in a frame wider than the finder's usual
# SEARCH_WIDTH, it searches again this wide before the text detector runs (openalpr-eu's
# photos in the middle of a picture three times as large: 71% -> 85% read right).
FINE_SEARCH_WIDTH: Final = 1280
# A read shorter than this is read again from a wider crop (most plates have 7 or 8).
WHOLE_LENGTH: Final = 7
# Margins around a band before reading: of its width, of its height (on each side).
PAD_X_WIDTH: Final = 0.0
PAD_X_HEIGHT: Final = 0.3
PAD_Y_HEIGHT: Final = 0.15
# A short read is read again with this many (plate) heights added on each side.
WIDEN: Final = 2
# Crops are read at this height (the recogniser's input is 48 px high).
READ_HEIGHT: Final = 48
# Every crop is padded to this width / height before reading, with this grey; a plate
# crop (`read_crop`) to CROP_RATIO, as a read costs about 2 ms + 0.07 ms per px of width
# and a crop's read must stay within 20 ms: at 5:1 it took 19-20 ms, at 4.5:1 about 1.7
# ms less, for as many crops read right (CCPD 88.6% instead of 88.9%, Argentine 76.9%
# instead of 76.2%); at 4:1 CCPD drops to 87.6%.
READ_RATIO: Final = 6.0
CROP_RATIO: Final = 4.5
PAD_GREY: Final = (128, 128, 128)
# The EU country strip: blue (OpenCV hue, 0-180) filling this share of a column's height,
# a band that starts in the crop's left STRIP_START, at least STRIP_MIN_WIDTH wide and
# ending before STRIP_MAX_END (of the crop's width), with little blue right of it.
STRIP_HUE: Final = (95, 130)
STRIP_FILL: Final = 0.5
STRIP_START: Final = 0.2
STRIP_MIN_WIDTH: Final = 0.03
STRIP_MAX_END: Final = 0.35
STRIP_REST: Final = 0.05
# A read of letters or digits alone (a vanity or a number plate) is this much less sure
# than its score: a sign or a sticker reads so too.
WORD_CONFIDENCE: Final = 0.5
# Such a read must come from a box shaped like a plate's characters (width / height),
# dark characters on a light plate, the plate ending within WORD_RING[0] heights of the
# characters: between that and WORD_RING[1] heights beside them, under WORD_RING_ALIKE of
# the pixels are within WORD_ALIKE (BGR distance) of the plate's background.
WORD_RING: Final = (1.2, 2.0)
WORD_ALIKE: Final = 25.0
WORD_RING_ALIKE: Final = 0.6
WORD_ASPECT: Final = (2.0, 9.0)
# A row of characters tilted at least this much (degrees) is turned level before it is
# read: the recogniser reads level lines, and the country strip is found column-wise.
MIN_DESKEW: Final = 2.0
# A level crop longer than this many times its height is no plate's row.
MAX_LINE_RATIO: Final = 30

# Two rows are one two-row plate when the lower's height is within ROW_HEIGHTS of the
# upper's, the narrower lies ROW_OVERLAP under the other and the gap between them is at
# most ROW_GAP of the upper row's height.
ROW_HEIGHTS: Final = (0.6, 1.67)
ROW_OVERLAP: Final = 0.6
ROW_GAP: Final = 0.8

# A region to read: its box in image pixels and its row's tilt in degrees.
Region = tuple[tuple[int, int, int, int], float]


@dataclass(frozen=True, slots=True)
class PlateRead:
    """One plate seen in one frame."""

    text: str  # A-Z0-9, look-alikes fixed by the matching format
    confidence: float  # 0..1: the engine's score, lowered for symbols a plate never shows
    box: tuple[int, int, int, int]  # x, y, w, h in frame pixels
    raw: str  # what the engine printed, before cleaning and fixing
    format: str  # the name of the format it fits ("" when no formats are configured)
    angle: float = 0.0  # the tilt of the row it was read from, degrees


class PlateReader:
    """Finds and reads plates with one OCR engine and a lot's plate formats."""

    def __init__(
        self,
        engine: OcrEngine,
        formats: PlateFormats | None = None,
        *,
        candidates: int = CANDIDATES,
        accept_score: float = ACCEPT_SCORE,
        detect_side: int = DETECT_SIDE,
    ) -> None:
        self.engine = engine
        self.formats = formats or PlateFormats.from_config(["any"])
        self.candidates = candidates
        self.accept_score = accept_score
        self.detect_side = detect_side

    def read(
        self, image: np.ndarray, zone: np.ndarray | None = None, *, detect: bool = True
    ) -> list[PlateRead]:
        """Plates in `image` (BGR), best first; `zone` is an Nx2 polygon to look inside.
        `detect=False` leaves out the costly fallbacks (the finer search and the text
        detector): the finder's reads only."""
        offset_x = offset_y = 0
        if zone is not None:
            x, y, w, h = cv2.boundingRect(np.asarray(zone, dtype=np.int32))
            mask = np.zeros(image.shape[:2], dtype=np.uint8)
            cv2.fillPoly(mask, [np.asarray(zone, dtype=np.int32)], 255)
            image = cv2.bitwise_and(image, image, mask=mask)[y : y + h, x : x + w]
            offset_x, offset_y = x, y
        if image.size == 0:
            return []
        bands = [(c.box, c.angle) for c in find_candidates(image, self.candidates)]
        reads = self._read_more(image, [], bands)
        if detect and not self._sure(reads) and image.shape[1] > SEARCH_WIDTH:
            # A large photo's small plate is too small for the finder at its usual size.
            fine = find_candidates(image, self.candidates, FINE_SEARCH_WIDTH)
            reads = self._read_more(
                image, reads, [(c.box, c.angle) for c in fine if (c.box, c.angle) not in bands]
            )
        if detect and not self._sure(reads):
            reads = self._read_more(image, reads, [_line(image, q) for q in self._detect(image)])
        return [replace(r, box=_shift(r.box, offset_x, offset_y)) for r in _words_last(reads)]

    def _sure(self, reads: list[PlateRead]) -> bool:
        return bool(reads) and reads[0].confidence >= self.accept_score

    def _read_more(
        self, image: np.ndarray, reads: list[PlateRead], regions: list[Region]
    ) -> list[PlateRead]:
        """The reads so far and the regions' own, best first, the best widened if short."""
        found = self._read_boxes(image, regions, ratio=READ_RATIO)
        return self._widen(image, _best_per_text(reads + found))

    def read_crop(self, crop: np.ndarray) -> PlateRead | None:
        """The plate in a crop that shows one plate (and maybe its frame and captions).

        The whole crop is read, padded to a long line's width; when that read fits no
        format, the finder's best band inside it (the characters alone, without a country
        caption) is read instead.
        """
        if crop.size == 0:
            return None
        height, width = crop.shape[:2]
        reads = self._read_boxes(crop, [((0, 0, width, height), 0.0)], pad=False, ratio=CROP_RATIO)
        if all(read.format in ONE_KIND_FORMATS for read in reads):  # none, or a word
            bands = [(c.box, c.angle) for c in find_candidates(crop, 1) if c.box[2] > width // 2]
            reads += self._read_boxes(crop, bands, pad=False, ratio=CROP_RATIO)
        reads = _words_last(_best_per_text(reads))
        return reads[0] if reads else None

    def _widen(self, image: np.ndarray, reads: list[PlateRead]) -> list[PlateRead]:
        """Read the best candidate again with room on both sides when it came out short:
        an emblem or a dash between a plate's groups can end the finder's band early."""
        if not reads or len(reads[0].text) >= WHOLE_LENGTH:
            return reads
        best = reads[0]
        x, y, w, h = best.box
        # Along a tilted row, its bounds grow in height too.
        reach = WIDEN * h
        rise = round(reach * abs(math.tan(math.radians(best.angle))))
        wider = (x - reach, y - rise, w + 2 * reach, h + 2 * rise)
        again = self._read_boxes(image, [(wider, best.angle)], pad=False)
        if again and best.text in again[0].text and again[0].confidence >= 0.8 * best.confidence:
            return _best_per_text([replace(again[0], box=best.box), *reads[1:]])
        return reads

    def _detect(self, image: np.ndarray) -> list[np.ndarray]:
        """Text lines from the engine's detector on a copy scaled to `detect_side` (a
        small photo enlarged, a large frame shrunk), in image pixels."""
        height, width = image.shape[:2]
        side = max(height, width)
        scale = min(1.0, self.detect_side / side)
        if side <= self.detect_side * ENLARGE_BELOW:
            scale = self.detect_side / side
        small = image
        if scale != 1.0:
            size = (max(1, round(width * scale)), max(1, round(height * scale)))
            interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
            small = cv2.resize(image, size, interpolation=interpolation)
        if isinstance(self.engine, LineFinder):
            quads = self.engine.find_lines(small)
        else:
            quads = [line.points for line in self.engine.detect_and_read(small)]
        return [np.asarray(quad, np.float32) / scale for quad in quads]

    def _read_boxes(
        self,
        image: np.ndarray,
        regions: list[Region],
        *,
        pad: bool = True,
        ratio: float = 0.0,
    ) -> list[PlateRead]:
        """Read each region from the full-resolution image; keep reads that fit a format.
        A crop narrower than `ratio` times its height is padded to that width first."""
        crops: list[np.ndarray] = []
        kept: list[Region] = []  # the regions read
        boxes: list[tuple[int, int, int, int]] = []  # where their plates are
        # A tilted row is read both turned level and as it stands: its tilt is measured
        # on the characters found, and a row missing its last character tilts wrongly.
        looks = [
            (box, tilt)
            for box, angle in regions
            for tilt in ((angle, 0.0) if abs(angle) >= MIN_DESKEW else (angle,))
        ]
        for box, angle in looks:
            crop = _crop(image, box, pad, angle)
            if crop is None:
                continue
            crops.append(crop)
            kept.append((box, angle))
            boxes.append(_plate_box(box, image.shape) if pad else box)
        reads: list[PlateRead] = []
        if not getattr(self.engine, "pads_lines", True):
            ratio = 0.0  # a plate recogniser reads the crop as it is
        lines = self.engine.read_lines([_widened(crop, ratio) for crop in crops])
        rows = list(zip(kept, boxes, lines, strict=True))  # every read, for two-row plates
        for ((region, angle), box, (raw, score)), crop in zip(rows, crops, strict=True):
            if not normalize_plate(raw):
                continue
            fitted = self.formats.fit(raw)
            if fitted is None:
                word = self.formats.fit_word(raw)
                if word is not None and _word_plate(image, region, crop):
                    fitted, score = word, score * WORD_CONFIDENCE
            if fitted is None:
                continue
            confidence = _plate_likeness(raw) * score
            reads.append(PlateRead(fitted[0], confidence, box, raw, fitted[1], angle))
        reads = _strip_kept_as_it_stands(reads)
        return _best_per_text(self._join_rows(image, rows, reads) if pad else reads)

    def _join_rows(
        self,
        image: np.ndarray,
        rows: list[tuple[Region, tuple[int, int, int, int], tuple[str, float]]],
        reads: list[PlateRead],
    ) -> list[PlateRead]:
        """Two rows read one above the other, alike in height and lined up, that fit a
        format together are one two-row plate (a motorcycle's, India's square plates):
        its read replaces the rows' own (`KA01AB` over `1234` is `KA01AB1234`). A plate
        recogniser reads both rows from one crop, which it was trained on, and that read
        is taken when it fits."""
        joined: list[PlateRead] = []
        parts: set[tuple[int, int, int, int]] = set()
        for (upper, _), upper_box, (upper_raw, upper_score) in rows:
            for (lower, _), lower_box, (lower_raw, lower_score) in rows:
                if not _stacked(upper, lower):
                    continue
                raw = f"{upper_raw} {lower_raw}"
                fitted = self.formats.fit(raw)
                if fitted is None or len(normalize_plate(lower_raw)) < 2:
                    continue
                confidence = _plate_likeness(raw) * min(upper_score, lower_score)
                box = _union(upper_box, lower_box)
                if not getattr(self.engine, "pads_lines", True):
                    x, y, w, h = box
                    ((whole, score),) = self.engine.read_lines([image[y : y + h, x : x + w]])
                    fitted_whole = self.formats.fit(whole)
                    if fitted_whole is not None:
                        raw, fitted, confidence = whole, fitted_whole, score
                joined.append(PlateRead(fitted[0], confidence, box, raw, fitted[1]))
                parts |= {upper_box, lower_box}
        return joined + [read for read in reads if read.box not in parts]


def _strip_kept_as_it_stands(reads: list[PlateRead]) -> list[PlateRead]:
    """Drop a tilted row's read as it stands when it is its level read with more in
    front: the country strip or an emblem at a plate's left, which the level crop cuts
    off and the tilted one keeps (`ELM010BE` for `LM010BE`)."""
    level = {read.box: read for read in reads if abs(read.angle) >= MIN_DESKEW}
    return [
        read
        for read in reads
        if not (
            read.angle == 0.0
            and (twin := level.get(read.box)) is not None
            and len(read.text) > len(twin.text)
            and read.text.endswith(twin.text)
        )
    ]


def _stacked(upper: tuple[int, int, int, int], lower: tuple[int, int, int, int]) -> bool:
    """Whether `lower` is the row under `upper` on one plate: alike in height, lined up
    (most of the narrower row under or over the other) and close below it."""
    ux, uy, uw, uh = upper
    lx, ly, lw, lh = lower
    if not ROW_HEIGHTS[0] <= lh / max(1, uh) <= ROW_HEIGHTS[1]:
        return False
    overlap = min(ux + uw, lx + lw) - max(ux, lx)
    gap = ly - (uy + uh)
    return overlap >= ROW_OVERLAP * min(uw, lw) and -0.2 * uh <= gap <= ROW_GAP * uh


def _union(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
    x0, y0 = min(a[0], b[0]), min(a[1], b[1])
    x1, y1 = max(a[0] + a[2], b[0] + b[2]), max(a[1] + a[3], b[1] + b[3])
    return (x0, y0, x1 - x0, y1 - y0)


def _plate_likeness(raw: str) -> float:
    """Plates print letters, digits, spaces and dashes (a dot or colon where stickers sit);
    a sign or a sticker's text brings slashes, symbols and lower case."""
    odd = sum(
        1 for char in raw.strip() if not ((char.isascii() and char.isalnum()) or char in " -.:·")
    )
    lower = sum(1 for char in raw if char.islower())
    return float(0.85 ** (odd + lower))


def _word_plate(image: np.ndarray, region: tuple[int, int, int, int], crop: np.ndarray) -> bool:
    """Whether a read of letters or digits alone may be a plate: from a box shaped like a
    plate's characters, dark on a lighter plate (a camera's caption or a lit sign prints
    light on dark), and the plate ends beside its characters: a sign's or a wall's
    lettering has the same background far to its left and right."""
    x, y, w, h = region
    if not WORD_ASPECT[0] <= w / max(1, h) <= WORD_ASPECT[1]:
        return False
    grey = crop if crop.ndim == 2 else cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY)
    threshold, _ = cv2.threshold(grey, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    light = grey > threshold
    if float(np.mean(light)) <= 0.5 or crop.ndim != 3 or image.ndim != 3:
        return False
    paper = np.median(crop[light], axis=0).astype(np.float32)
    near, far = round(WORD_RING[0] * h), round(WORD_RING[1] * h)
    width = image.shape[1]
    beside = [
        image[max(0, y) : y + h, max(0, left) : max(0, right)]
        for left, right in ((x - far, x - near), (x + w + near, min(width, x + w + far)))
    ]
    sides = [side.reshape(-1, 3) for side in beside if side.size]
    if not sides:
        return True  # the region is the whole crop: the plate itself
    ring = np.concatenate(sides, axis=0)
    alike = np.linalg.norm(ring.astype(np.float32) - paper, axis=1) < WORD_ALIKE
    return float(np.mean(alike)) < WORD_RING_ALIKE


def _words_last(reads: list[PlateRead]) -> list[PlateRead]:
    """Reads of letters or digits alone only when no read fits a plate format."""
    plates = [read for read in reads if read.format not in ONE_KIND_FORMATS]
    return plates or reads


def _best_per_text(reads: list[PlateRead]) -> list[PlateRead]:
    """Best first, one read per plate text."""
    seen: set[str] = set()
    best: list[PlateRead] = []
    for read in sorted(reads, key=lambda r: r.confidence, reverse=True):
        if read.text not in seen:
            seen.add(read.text)
            best.append(read)
    return best


def _crop(
    image: np.ndarray, box: tuple[int, int, int, int], pad: bool, angle: float = 0.0
) -> np.ndarray | None:
    """The band with a margin, so the first and last characters are whole; a tilted row
    turned level first."""
    if abs(angle) >= MIN_DESKEW:
        return _level_crop(image, box, pad, angle)
    x, y, w, h = box
    pad_x, pad_y = (
        (int(PAD_X_WIDTH * w + PAD_X_HEIGHT * h), int(PAD_Y_HEIGHT * h)) if pad else (0, 0)
    )
    height, width = image.shape[:2]
    x0, y0 = max(0, x - pad_x), max(0, y - pad_y)
    x1, y1 = min(width, x + w + pad_x), min(height, y + h + pad_y)
    if x1 - x0 < 4 or y1 - y0 < 4:
        return None
    return _without_strip(_to_read_height(image[y0:y1, x0:x1]))


def _level_crop(
    image: np.ndarray, box: tuple[int, int, int, int], pad: bool, angle: float
) -> np.ndarray | None:
    """A tilted row's band, turned level about its centre: the box bounds the tilted row,
    so the row itself is as long as the box's diagonal run and as high as the box less
    the tilt's rise."""
    x, y, w, h = box
    tilt = math.tan(math.radians(abs(angle)))
    length = w / math.cos(math.radians(angle))
    rise = max(4.0, 0.3 * h, h - w * tilt)
    pad_x, pad_y = (PAD_X_HEIGHT * h, PAD_Y_HEIGHT * rise) if pad else (0.0, 0.0)
    out_w, out_h = round(length + 2 * pad_x), round(rise + 2 * pad_y)
    if out_w < 4 or out_h < 4 or out_w > MAX_LINE_RATIO * out_h:
        return None
    matrix = cv2.getRotationMatrix2D((x + w / 2, y + h / 2), angle, 1.0)
    matrix[0, 2] += out_w / 2 - (x + w / 2)
    matrix[1, 2] += out_h / 2 - (y + h / 2)
    level = cv2.warpAffine(
        image, matrix, (out_w, out_h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )
    return _without_strip(_to_read_height(level))


def _line(image: np.ndarray, quad: np.ndarray) -> Region:
    """A detected text line as a region to read: tightened to its row of characters when
    one shows, else its quadrilateral's bounds and the tilt of its top edge."""
    tight = tighten(image, _bounds(quad))
    if tight is not None:
        return tight
    (x0, y0), (x1, y1) = quad[0], quad[1]
    return _bounds(quad), math.degrees(math.atan2(float(y1 - y0), float(max(1.0, x1 - x0))))


def prepared_line(crop: np.ndarray) -> np.ndarray:
    """A plate crop as `read_crop` hands it to the recogniser: 48 px high, padded to
    CROP_RATIO (for measuring one read, `bench/lpr.py`)."""
    return _widened(_to_read_height(crop), CROP_RATIO)


def _widened(crop: np.ndarray, ratio: float) -> np.ndarray:
    """The crop padded on its right with mid-grey to `ratio` times its height.

    The recogniser reads a plate better with room after it, as in the long lines it was
    trained on: padded to 6:1, 81% of the Argentine crops (about 2.5:1) read right instead
    of 70%, and openalpr-eu's photos 97% instead of 95%, for about 4 ms more a read
    (mid-grey is the recogniser's own padding: zero after its normalisation).
    """
    height, width = crop.shape[:2]
    need = int(ratio * height)
    if width >= need:
        return crop
    return cv2.copyMakeBorder(crop, 0, 0, 0, need - width, cv2.BORDER_CONSTANT, value=PAD_GREY)


def _without_strip(crop: np.ndarray) -> np.ndarray:
    """The crop cut after a blue band at its left: the European Union's country strip
    (stars and a country code), read as a letter otherwise. Left as it is unless the band
    stands alone: blue characters or a blue plate colour the rest of the crop too."""
    if crop.ndim != 3:
        return crop
    hsv = cv2.cvtColor(crop, cv2.COLOR_BGR2HSV)
    hue, saturation, value = hsv[:, :, 0], hsv[:, :, 1], hsv[:, :, 2]
    blue = (hue >= STRIP_HUE[0]) & (hue <= STRIP_HUE[1]) & (saturation > 80) & (value > 50)
    columns = blue.mean(axis=0) >= STRIP_FILL
    width = crop.shape[1]
    reach = int(STRIP_START * width)
    starts = np.flatnonzero(columns[: reach + 1])
    if starts.size == 0:
        return crop
    end = int(starts[0])
    while end < width and columns[end]:
        end += 1
    rest = blue[:, end:]
    if end - int(starts[0]) < STRIP_MIN_WIDTH * width or end > STRIP_MAX_END * width:
        return crop
    if rest.size == 0 or float(rest.mean()) > STRIP_REST:
        return crop
    return np.ascontiguousarray(crop[:, end:])


def _to_read_height(crop: np.ndarray) -> np.ndarray:
    height, width = crop.shape[:2]
    if height == READ_HEIGHT:
        return np.ascontiguousarray(crop)
    scale = READ_HEIGHT / height
    interpolation = cv2.INTER_CUBIC if scale > 1 else cv2.INTER_AREA
    return cv2.resize(
        crop, (max(1, round(width * scale)), READ_HEIGHT), interpolation=interpolation
    )


def _plate_box(
    band: tuple[int, int, int, int], shape: tuple[int, ...]
) -> tuple[int, int, int, int]:
    """The plate around a band of characters: characters fill most of a plate's width and
    about two thirds of its height."""
    x, y, w, h = band
    pad_x, pad_y = int(0.06 * w), int(0.25 * h)
    x0, y0 = max(0, x - pad_x), max(0, y - pad_y)
    x1, y1 = min(shape[1], x + w + pad_x), min(shape[0], y + h + pad_y)
    return (x0, y0, x1 - x0, y1 - y0)


def _bounds(quad: np.ndarray) -> tuple[int, int, int, int]:
    x, y, w, h = cv2.boundingRect(np.asarray(quad, np.float32).astype(np.int32))
    return (x, y, w, h)


def _shift(box: tuple[int, int, int, int], dx: int, dy: int) -> tuple[int, int, int, int]:
    return (box[0] + dx, box[1] + dy, box[2], box[3])
