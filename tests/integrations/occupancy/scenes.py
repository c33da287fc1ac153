"""Synthetic lot pictures for tests: asphalt, painted bays and simple cars seen from above.

Made here, so the tests need no dataset on disk. Each bay is a rectangle between two
painted lines; a car is a coloured body with a dark windscreen and rear window, drawn a
little smaller than its bay, with a soft shadow.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

BAY_W, BAY_H = 70, 140
COLOURS = [(40, 40, 200), (200, 200, 200), (30, 30, 30), (180, 120, 40), (60, 160, 60)]


def bays(
    columns: int = 8, rows: int = 2, origin: tuple[int, int] = (80, 60)
) -> list[list[tuple[int, int]]]:
    """Bay polygons in reading order: `rows` rows of `columns` bays, an aisle between."""
    polygons = []
    for row in range(rows):
        y = origin[1] + row * (BAY_H + 90)
        for column in range(columns):
            x = origin[0] + column * BAY_W
            polygons.append([(x, y), (x + BAY_W, y), (x + BAY_W, y + BAY_H), (x, y + BAY_H)])
    return polygons


def draw_lot(
    occupied: list[bool],
    polygons: list[list[tuple[int, int]]],
    *,
    seed: int = 0,
    size: tuple[int, int] = (720, 1280),
    light: float = 1.0,
) -> np.ndarray:
    rng = np.random.default_rng(seed)
    image: np.ndarray = np.full((*size, 3), 95, np.float32)  # then cv2's blurred copy
    image += rng.normal(0, 4, image.shape)  # asphalt grain
    image = cv2.GaussianBlur(image, (3, 3), 0)
    for polygon in polygons:  # painted side lines
        (x0, y0), (x1, _), (_, y1) = polygon[0], polygon[1], polygon[2]
        for x in (x0, x1):
            cv2.line(image, (x, y0), (x, y1), (215, 215, 215), 3)
    for index, (polygon, car) in enumerate(zip(polygons, occupied, strict=True)):
        if not car:
            continue
        (x0, y0), (x1, y1) = polygon[0], polygon[2]
        colour = COLOURS[(index + seed) % len(COLOURS)]
        bx0, by0, bx1, by1 = x0 + 12, y0 + 14, x1 - 12, y1 - 14
        cv2.rectangle(image, (bx0 + 4, by0 + 6), (bx1 + 4, by1 + 6), (50, 50, 50), -1)  # shadow
        cv2.rectangle(image, (bx0, by0), (bx1, by1), colour, -1)
        cv2.rectangle(image, (bx0 + 5, by0 + 22), (bx1 - 5, by0 + 45), (25, 25, 30), -1)
        cv2.rectangle(image, (bx0 + 6, by1 - 32), (bx1 - 6, by1 - 16), (25, 25, 30), -1)
        cv2.rectangle(image, (bx0, by0), (bx1, by1), (20, 20, 20), 2)
        cv2.line(
            image,
            (bx0 + 3, by0 + 60),
            (bx1 - 3, by0 + 60),
            (colour[0] * 0.6, colour[1] * 0.6, colour[2] * 0.6),
            2,
        )
    image = image * light
    return np.asarray(np.clip(image, 0, 255), np.uint8)


def write_pklot(
    folder: Path,
    frames: list[list[bool]],
    polygons: list[list[tuple[int, int]]],
    *,
    lot: str = "synthetic",
    layout: str = "beside",
    first_seed: int = 0,
) -> None:
    """Frames as PKLot data: `beside` puts a.xml next to a.jpg, `sibling` uses
    frames/ and bounding_boxes/ folders."""
    image_dir = folder / "frames" if layout == "sibling" else folder
    xml_dir = folder / "bounding_boxes" if layout == "sibling" else folder
    image_dir.mkdir(parents=True, exist_ok=True)
    xml_dir.mkdir(parents=True, exist_ok=True)
    for number, occupied in enumerate(frames):
        name = f"frame_{number:03d}"
        image = draw_lot(occupied, polygons, seed=first_seed + number)
        cv2.imwrite(str(image_dir / f"{name}.jpg"), image)
        lines = [f'<parking id="{lot}">']
        for space, (polygon, car) in enumerate(zip(polygons, occupied, strict=True), start=1):
            lines.append(f'  <space id="{space}" occupied="{int(car)}"><contour>')
            lines += [f'    <point x="{x}" y="{y}" />' for x, y in polygon]
            lines.append("  </contour></space>")
        lines.append("</parking>")
        (xml_dir / f"{name}.xml").write_text("\n".join(lines))
