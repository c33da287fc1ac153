"""The plate reader: one frame (or a lane zone of it) in, the plates it shows out.

Blocking and CPU-bound: the integration runs it in a worker thread. This first version
runs the engine's text detector over the zone and keeps the lines that fit a plate
format; `hub/integrations/lpr/README` of measurements lives in the project README.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .engines import OcrEngine
from .formats import PlateFormats, clean


@dataclass(frozen=True, slots=True)
class PlateRead:
    """One plate seen in one frame."""

    text: str  # A-Z0-9, look-alikes fixed by the matching format
    confidence: float  # 0..1, the engine's score for this line
    box: tuple[int, int, int, int]  # x, y, w, h in frame pixels
    raw: str  # what the engine printed, before cleaning and fixing
    format: str  # the name of the format it fits ("" when no formats are configured)


class PlateReader:
    """Finds and reads plates with one OCR engine and a lot's plate formats."""

    def __init__(self, engine: OcrEngine, formats: PlateFormats | None = None) -> None:
        self.engine = engine
        self.formats = formats or PlateFormats.from_config(["any"])

    def read(self, image: np.ndarray, zone: np.ndarray | None = None) -> list[PlateRead]:
        """Plates in `image` (BGR), best first; `zone` is an Nx2 polygon to look inside."""
        offset_x = offset_y = 0
        if zone is not None:
            x, y, w, h = cv2.boundingRect(np.asarray(zone, dtype=np.int32))
            mask = np.zeros(image.shape[:2], dtype=np.uint8)
            cv2.fillPoly(mask, [np.asarray(zone, dtype=np.int32)], 255)
            image = cv2.bitwise_and(image, image, mask=mask)[y : y + h, x : x + w]
            offset_x, offset_y = x, y
        reads: list[PlateRead] = []
        for line in self.engine.detect_and_read(image):
            fitted = self.formats.fit(line.text)
            if fitted is None or not clean(line.text):
                continue
            x, y, w, h = cv2.boundingRect(line.points.astype(np.int32))
            reads.append(
                PlateRead(
                    text=fitted[0],
                    confidence=line.score,
                    box=(x + offset_x, y + offset_y, w, h),
                    raw=line.text,
                    format=fitted[1],
                )
            )
        reads.sort(key=lambda read: read.confidence, reverse=True)
        return reads
