"""Small OpenCV drawing helpers the demo views share: sprites with alpha, noise, shapes."""

from __future__ import annotations

import contextlib
import ctypes
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

__all__ = ["SensorNoise", "Sprite", "blend", "release_memory", "rounded_rect", "shade"]

Image = npt.NDArray[np.uint8]
# Float work images: OpenCV's stubs type its results loosely, so these stay loose too.
FloatImage = npt.NDArray[Any]


@dataclass(frozen=True, slots=True)
class Sprite:
    """A picture with an alpha channel, composited onto frames many times (made once).

    Stored as bytes (colour and alpha 0..255): a cache of sprites stays small.
    """

    colour: npt.NDArray[Any]  # H x W x 3, uint8
    alpha: npt.NDArray[Any]  # H x W x 1, uint8

    @classmethod
    def from_float(cls, colour: FloatImage, alpha: FloatImage) -> Sprite:
        """From float colour (0..255) and alpha (0..1) as drawn."""
        return cls(
            np.clip(colour, 0, 255).astype(np.uint8),
            np.clip(alpha * 255, 0, 255).astype(np.uint8).reshape(*alpha.shape[:2], 1),
        )

    @property
    def size(self) -> tuple[int, int]:
        return (self.colour.shape[1], self.colour.shape[0])

    def rotated90(self, turns: int) -> Sprite:
        return Sprite(
            np.ascontiguousarray(np.rot90(self.colour, turns)),
            np.ascontiguousarray(np.rot90(self.alpha, turns)),
        )

    def transformed(self, matrix: FloatImage) -> Sprite:
        """Rotated/moved by a 2x3 affine matrix, on a canvas of the same size."""
        size = self.size
        colour = cv2.warpAffine(self.colour, matrix, size, flags=cv2.INTER_LINEAR)
        alpha = cv2.warpAffine(self.alpha, matrix, size, flags=cv2.INTER_LINEAR)
        return Sprite(colour, alpha.reshape(size[1], size[0], 1))

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
    alpha = sprite.alpha[y0 - y : y1 - y, x0 - x : x1 - x].astype(np.float32) * (1 / 255)
    roi = frame[y0:y1, x0:x1]
    roi[:] = (roi + (colour.astype(np.float32) - roi) * alpha).astype(np.uint8)


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
    """Camera grain without per-frame cost: a few small random tiles, laid over the frame.

    The tile is picked by a key (the frame's time), so the same moment always looks the
    same. At this strength a 256-pixel repeat is invisible, and the tiles take well under
    a megabyte where full-frame patterns would take tens.
    """

    TILE = 256

    def __init__(self, sigma: float, seed: int, count: int = 2) -> None:
        rng = np.random.default_rng(seed)
        self._tiles = []
        for _ in range(count):
            noise = rng.normal(0.0, sigma, (self.TILE, self.TILE, 1)).repeat(3, axis=2)
            self._tiles.append(
                (np.clip(noise, 0, 255).astype(np.uint8), np.clip(-noise, 0, 255).astype(np.uint8))
            )

    def apply(self, frame: Image, key: int) -> None:
        up, down = self._tiles[key % len(self._tiles)]
        height, width = frame.shape[:2]
        tile = self.TILE
        for y in range(0, height, tile):
            for x in range(0, width, tile):
                roi = frame[y : y + tile, x : x + tile]
                h, w = roi.shape[:2]
                cv2.add(roi, up[:h, :w], dst=roi)
                cv2.subtract(roi, down[:h, :w], dst=roi)


def release_memory() -> None:
    """Hand the pages of large freed temporaries back to the OS (glibc keeps them otherwise).

    Drawing a scene goes through float images of tens of megabytes; without this the hub's
    resident size stays that much higher for good. A no-op where there is no glibc.
    """
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)
