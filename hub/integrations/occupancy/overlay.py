"""Slot outlines drawn on the camera's restream, coloured by state."""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np
import numpy.typing as npt

from .slots import Slot
from .tracker import SlotSmoother

__all__ = ["SlotOverlay"]

FREE = (0, 200, 0)  # BGR
OCCUPIED = (0, 0, 230)
UNKNOWN = (160, 160, 160)
RESERVED = (230, 120, 0)


class SlotOverlay:
    """`draw(image)` is called from camera threads; it reads a colour tuple the loop
    replaces whole (`refresh`), so it never sees a half-updated lot."""

    def __init__(self, slots: Sequence[Slot], smoothers: Sequence[SlotSmoother]) -> None:
        self._outlines = [np.round(np.asarray(s.polygon)).astype(np.int32) for s in slots]
        self._slots = slots
        self._smoothers = smoothers
        self._colours: tuple[tuple[int, int, int], ...] = (UNKNOWN,) * len(slots)

    def refresh(self) -> None:
        colours = []
        for slot, smoother in zip(self._slots, self._smoothers, strict=True):
            if smoother.occupied is None:
                colours.append(UNKNOWN)
            elif smoother.occupied:
                colours.append(OCCUPIED)
            else:
                colours.append(RESERVED if slot.reserved else FREE)
        self._colours = tuple(colours)

    def draw(self, image: npt.NDArray[np.uint8]) -> None:
        colours = self._colours
        for outline, colour in zip(self._outlines, colours, strict=True):
            cv2.polylines(image, [outline], True, colour, 2, cv2.LINE_AA)
