"""A frame as every consumer (occupancy, plates, restreams) receives it."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["Frame", "Image"]

Image = npt.NDArray[np.uint8]


@dataclass(frozen=True, slots=True)
class Frame:
    """One decoded picture: BGR uint8 (OpenCV's order), when the hub got it, and its number.

    `seq` counts frames the camera delivered since the hub started it, so a consumer can
    tell how many it missed. Consumers must not draw on `image`: it is shared; copy first.
    """

    image: Image
    timestamp: float
    seq: int
