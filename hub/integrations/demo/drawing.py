"""Small OpenCV drawing helpers the demo views share: sprites with alpha, noise, shapes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

__all__ = ["SensorNoise", "Sprite", "blend", "rounded_rect", "shade"]

Image = npt.NDArray[np.uint8]
# Float work images: OpenCV's stubs type its results loosely, so these stay loose too.
FloatImage = npt.NDArray[Any]


@dataclass(frozen=True, slots=True)
class Sprite:
    """A picture with an alpha channel, composited onto frames many times (made once)."""

    colour: FloatImage  # H x W x 3, 0..255
    alpha: FloatImage  # H x W x 1, 0..1

    @property
    def size(self) -> tuple[int, int]:
        return (self.colour.shape[1], self.colour.shape[0])

    def rotated90(self, turns: int) -> Sprite:
        return Sprite(
            np.ascontiguousarray(np.rot90(self.colour, turns)),
            np.ascontiguousarray(np.rot90(self.alpha, turns)),
        )

    def scaled(self, factor: float) -> Sprite:
        width, height = self.size
        size = (max(1, round(width * factor)), max(1, round(height * factor)))
        colour = cv2.resize(self.colour, size, interpolation=cv2.INTER_AREA)
        alpha = cv2.resize(self.alpha, size, interpolation=cv2.INTER_AREA)
        return Sprite(colour, alpha.reshape(size[1], size[0], 1))


def blend(frame: Image, sprite: Sprite, x: int, y: int) -> None:
    """Paint `sprite` with its top-left corner at (x, y), clipped to the frame."""
    height, width = frame.shape[:2]
    sw, sh = sprite.size
    x0, y0, x1, y1 = max(0, x), max(0, y), min(width, x + sw), min(height, y + sh)
    if x0 >= x1 or y0 >= y1:
        return
    colour = sprite.colour[y0 - y : y1 - y, x0 - x : x1 - x]
    alpha = sprite.alpha[y0 - y : y1 - y, x0 - x : x1 - x]
    roi = frame[y0:y1, x0:x1]
    roi[:] = (roi * (1.0 - alpha) + colour * alpha).astype(np.uint8)


def rounded_rect(
    image: cv2.typing.MatLike,
    top_left: tuple[int, int],
    bottom_right: tuple[int, int],
    radius: int,
    colour: tuple[float, ...] | float,
) -> None:
    """A filled rectangle with round corners (OpenCV has none)."""
    x0, y0 = top_left
    x1, y1 = bottom_right
    radius = max(1, min(radius, (x1 - x0) // 2, (y1 - y0) // 2))
    fill = colour if isinstance(colour, tuple) else (colour,)
    cv2.rectangle(image, (x0 + radius, y0), (x1 - radius, y1), fill, -1)
    cv2.rectangle(image, (x0, y0 + radius), (x1, y1 - radius), fill, -1)
    for cx, cy in ((x0 + radius, y0 + radius), (x1 - radius, y0 + radius)):
        cv2.circle(image, (cx, cy), radius, fill, -1, cv2.LINE_AA)
    for cx, cy in ((x0 + radius, y1 - radius), (x1 - radius, y1 - radius)):
        cv2.circle(image, (cx, cy), radius, fill, -1, cv2.LINE_AA)


def shade(colour: tuple[int, int, int], factor: float) -> tuple[int, int, int]:
    b, g, r = colour
    return (
        int(min(255, b * factor)),
        int(min(255, g * factor)),
        int(min(255, r * factor)),
    )


class SensorNoise:
    """A few pre-made grain patterns, picked by a key (the frame's time, so the same moment
    always looks the same): a camera's noise without per-frame cost."""

    def __init__(self, size: tuple[int, int], sigma: float, seed: int, count: int = 3) -> None:
        rng = np.random.default_rng(seed)
        width, height = size
        self._planes = []
        for _ in range(count):
            noise = rng.normal(0.0, sigma, (height, width, 1)).repeat(3, axis=2)
            self._planes.append(
                (np.clip(noise, 0, 255).astype(np.uint8), np.clip(-noise, 0, 255).astype(np.uint8))
            )

    def apply(self, frame: Image, key: int) -> None:
        up, down = self._planes[key % len(self._planes)]
        cv2.add(frame, up, dst=frame)
        cv2.subtract(frame, down, dst=frame)
