"""Read PKLot-format occupancy data: images with per-space XML ground truth.

The XML sits beside its image (`a.jpg` + `a.xml`) or in a sibling `bounding_boxes/`
folder (`frames/a.jpg` + `bounding_boxes/a.xml`), and looks like

    <parking id="ufpr05">
      <space id="1" occupied="1"><contour><point x="608" y="613"/>...</contour></space>

Spaces without an `occupied` attribute or with fewer than three contour points are
skipped (PKLot has a few); a broken file is an error naming the file.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .sampler import Polygon

__all__ = ["DatasetError", "LabelledFrame", "LabelledSpace", "find_frames", "read_labels"]

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")


class DatasetError(Exception):
    """A dataset that cannot be read; the message names the file."""


@dataclass(frozen=True, slots=True)
class LabelledSpace:
    id: str
    polygon: Polygon
    occupied: bool


@dataclass(frozen=True, slots=True)
class LabelledFrame:
    image: Path
    lot: str
    spaces: tuple[LabelledSpace, ...]


def _xml_for(image: Path) -> Path | None:
    for candidate in (
        image.with_suffix(".xml"),
        image.parent.parent / "bounding_boxes" / f"{image.stem}.xml",
    ):
        if candidate.is_file():
            return candidate
    return None


def read_labels(xml_path: Path, image: Path) -> LabelledFrame:
    """One frame's spaces from its XML file."""
    try:
        root = ET.parse(xml_path).getroot()
    except (ET.ParseError, OSError) as err:
        raise DatasetError(f"{xml_path}: not a readable PKLot XML file ({err})") from None
    spaces: list[LabelledSpace] = []
    for space in root.iter("space"):
        occupied = space.get("occupied")
        points = [
            (float(point.get("x", "nan")), float(point.get("y", "nan")))
            for point in space.iterfind("contour/point")
        ]
        if occupied not in ("0", "1") or len(points) < 3:
            continue
        if any(x != x or y != y for x, y in points):
            raise DatasetError(f"{xml_path}: space {space.get('id')}: a point lacks x or y")
        spaces.append(LabelledSpace(space.get("id", str(len(spaces))), points, occupied == "1"))
    lot = root.get("id") or xml_path.parent.name
    return LabelledFrame(image, lot, tuple(spaces))


def find_frames(directory: Path, skipped: list[str] | None = None) -> Iterator[LabelledFrame]:
    """Every labelled image under `directory`, in a stable order.

    A label file that cannot be read raises DatasetError, or, given a `skipped` list, is
    named there (one message per file) and passed over: one broken file in thousands
    should not stop an evaluation.
    """
    if not directory.is_dir():
        raise DatasetError(f"{directory}: no such directory")
    for image in sorted(directory.rglob("*")):
        if image.suffix.lower() not in IMAGE_SUFFIXES or image.parent.name == "masks":
            continue
        xml_path = _xml_for(image)
        if xml_path is None:
            continue
        try:
            frame = read_labels(xml_path, image)
        except DatasetError as err:
            if skipped is None:
                raise
            skipped.append(str(err))
            continue
        yield frame
