"""Plates drawn with OpenCV onto a plain street scene, for reader and eval tests."""

from __future__ import annotations

import cv2
import numpy as np


def draw_plate(
    text: str, size: tuple[int, int] = (640, 360)
) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """A grey street scene with one plate drawn on a darker car body."""
    width, height = size
    image = _street(size, len(text))
    plate = (width // 2 - 100, height // 2, 200, 46)
    x, y, w, h = plate
    cv2.rectangle(image, (x, y), (x + w, y + h), (235, 235, 235), -1)
    cv2.rectangle(image, (x, y), (x + w, y + h), (20, 20, 20), 2)
    scale = 1.0
    (text_w, text_h), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, 3)
    scale = min((w - 20) / text_w, (h - 14) / text_h)
    (text_w, text_h), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, 3)
    origin = (x + (w - text_w) // 2, y + (h + text_h) // 2)
    cv2.putText(image, text, origin, cv2.FONT_HERSHEY_SIMPLEX, scale, (15, 15, 15), 3, cv2.LINE_AA)
    return image, plate


def draw_two_row_plate(
    top: str, bottom: str, size: tuple[int, int] = (640, 360)
) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """A square plate of two rows (a motorcycle's, India's) on a car body."""
    width, height = size
    image = _street(size, len(top + bottom))
    plate = (width // 2 - 70, height // 2 - 20, 140, 100)
    x, y, w, h = plate
    cv2.rectangle(image, (x, y), (x + w, y + h), (235, 235, 235), -1)
    cv2.rectangle(image, (x, y), (x + w, y + h), (20, 20, 20), 2)
    for row, text in enumerate((top, bottom)):
        (text_w, text_h), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, 1.0, 3)
        scale = min((w - 16) / text_w, 32 / text_h)
        (text_w, text_h), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, 3)
        origin = (x + (w - text_w) // 2, y + 8 + text_h + row * 48)
        cv2.putText(
            image, text, origin, cv2.FONT_HERSHEY_SIMPLEX, scale, (15, 15, 15), 3, cv2.LINE_AA
        )
    return image, plate


def _street(size: tuple[int, int], seed: int) -> np.ndarray:
    """A grey street with grain and a darker car body in the middle."""
    width, height = size
    rng = np.random.default_rng(seed)
    image = np.full((height, width, 3), 90, np.uint8)
    image += rng.integers(0, 20, image.shape, dtype=np.uint8)
    cv2.rectangle(
        image, (width // 4, height // 3), (3 * width // 4, height - 30), (60, 40, 150), -1
    )
    return image
