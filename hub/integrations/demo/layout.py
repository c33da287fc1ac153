"""Where things are in the overhead view: 24 spaces in two rows of 12 around one aisle.

The geometry is fixed, so the slot polygons can be written once to `slots.yaml` (beside
this file) for the occupancy integration: `python -m hub.integrations.demo.layout` writes
it again, and a test checks it matches.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .const import OVERHEAD_SIZE

__all__ = ["AISLE", "ENTRANCE_Y", "SLOTS", "SLOTS_FILE", "Slot", "slots_yaml"]

SLOTS_FILE = Path(__file__).with_name("slots.yaml")

COLUMNS = 12
SLOT_WIDTH = 80
SLOT_DEPTH = 150
LEFT = 160
TOP_ROW_Y = 95
AISLE_HEIGHT = 220
BOTTOM_ROW_Y = TOP_ROW_Y + SLOT_DEPTH + AISLE_HEIGHT
# The aisle: x from the entrance at the left edge to the far end, y band between the rows.
AISLE = (0, TOP_ROW_Y + SLOT_DEPTH, LEFT + COLUMNS * SLOT_WIDTH + 40, BOTTOM_ROW_Y)
ENTRANCE_Y = (AISLE[1] + AISLE[3]) // 2


@dataclass(frozen=True, slots=True)
class Slot:
    """One space: id (a01..a12 top row, b01..b12 bottom row), its rectangle and which way
    the aisle is (cars park nose in or out, but always enter from the aisle)."""

    id: str
    x: int
    y: int
    width: int
    height: int
    aisle_below: bool

    @property
    def polygon(self) -> list[tuple[int, int]]:
        x, y, w, h = self.x, self.y, self.width, self.height
        return [(x, y), (x + w, y), (x + w, y + h), (x, y + h)]

    @property
    def center(self) -> tuple[int, int]:
        return (self.x + self.width // 2, self.y + self.height // 2)


def _make_slots() -> tuple[Slot, ...]:
    slots = []
    for row, y, aisle_below in (("a", TOP_ROW_Y, True), ("b", BOTTOM_ROW_Y, False)):
        for column in range(COLUMNS):
            x = LEFT + column * SLOT_WIDTH
            slots.append(Slot(f"{row}{column + 1:02d}", x, y, SLOT_WIDTH, SLOT_DEPTH, aisle_below))
    return tuple(slots)


SLOTS = _make_slots()


def slots_yaml() -> str:
    """The slots as YAML: `{camera_size: [w, h], slots: [{id, polygon}]}` (image pixels)."""
    width, height = OVERHEAD_SIZE
    lines = [
        "# Spaces seen by the demo lot's overhead camera (camera.overhead), in image pixels.",
        "# Written by `python -m hub.integrations.demo.layout`; do not edit by hand.",
        f"camera_size: [{width}, {height}]",
        "slots:",
    ]
    for slot in SLOTS:
        points = ", ".join(f"[{x}, {y}]" for x, y in slot.polygon)
        lines.append(f"  - id: {slot.id}")
        lines.append(f"    polygon: [{points}]")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    SLOTS_FILE.write_text(slots_yaml(), encoding="utf-8")
    print(f"wrote {SLOTS_FILE}")
