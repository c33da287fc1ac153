"""The demo lot on a hub with a frozen clock, and a tiny plate reader for its lane frames."""

from __future__ import annotations

import string
from typing import Any

import cv2
import numpy as np

from hub.core.hub import Hub
from hub.integrations import demo
from hub.integrations.demo import DemoLot

CHARACTERS = string.ascii_uppercase + string.digits
GLYPH_SIZE = (20, 30)


async def setup_demo(hub: Hub, **options: Any) -> DemoLot:
    await demo.async_setup(hub, demo.CONFIG_SCHEMA(options))
    data: demo.DemoData = hub.data["demo"]
    return data.lot


def _glyph(char: str) -> np.ndarray:
    canvas = np.zeros((60, 60), np.uint8)
    cv2.putText(canvas, char, (5, 48), cv2.FONT_HERSHEY_SIMPLEX, 1.5, 255, 4)
    ys, xs = np.nonzero(canvas)
    crop = canvas[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
    return cv2.resize(crop, GLYPH_SIZE, interpolation=cv2.INTER_AREA).astype(np.float32)


_GLYPHS = {char: _glyph(char) for char in CHARACTERS}


def read_plate(image: np.ndarray, box: tuple[int, int, int, int]) -> str:
    """Read a demo plate by matching each dark blob against drawn glyphs (no OCR engine).

    Independent of the demo's renderer except for the font: it proves the frame carries
    legible characters, in order, at the box the ground truth gives.
    """
    x, y, w, h = box
    grey = cv2.cvtColor(image[y : y + h, x : x + w], cv2.COLOR_BGR2GRAY)
    _, ink = cv2.threshold(grey, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    count, _, stats, _ = cv2.connectedComponentsWithStats(ink)
    blobs = []
    for index in range(1, count):
        bx, by, bw, bh, area = stats[index]
        touches_edge = bx <= 1 or by <= 1 or bx + bw >= w - 1 or by + bh >= h - 1
        if not touches_edge and bh > h * 0.35 and area > 15:
            blobs.append((bx, by, bw, bh))
    text = ""
    for bx, by, bw, bh in sorted(blobs):
        crop = ink[by : by + bh, bx : bx + bw]
        sample = cv2.resize(crop, GLYPH_SIZE, interpolation=cv2.INTER_AREA).astype(np.float32)
        text += max(
            _GLYPHS, key=lambda c: float(np.corrcoef(sample.ravel(), _GLYPHS[c].ravel())[0, 1])
        )
    return text
