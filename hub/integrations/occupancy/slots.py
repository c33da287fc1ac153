"""Slots: an id, a polygon in camera pixels, an optional group and a reserved flag.

They come from `config.yaml` or from a slots file (YAML or JSON) that `parkhub slots
suggest` and the `occupancy.save_slots` service write and an owner corrects by hand:

    image_size: [1280, 720]
    slots:
      - {id: a1, polygon: [[100, 200], [180, 200], [180, 320], [100, 320]], group: ev}
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import voluptuous as vol
import yaml

from hub import validation as cv
from hub.core.files import write_atomically
from hub.core.services import describe_invalid

from .const import CONF_GROUP, CONF_POLYGON, CONF_RESERVED, GROUPS

__all__ = [
    "SLOTS_SCHEMA",
    "Slot",
    "SlotsFileError",
    "dump_slots",
    "read_slots_file",
    "slots_from_config",
    "write_slots_file",
]


def _slot_id(value: Any) -> str:
    """Numbers are fine ids too (PKLot numbers its spaces)."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    return cv.slug(value)


SLOT_SCHEMA = vol.Schema(
    {
        vol.Required("id"): _slot_id,
        vol.Required(CONF_POLYGON): cv.polygon,
        vol.Optional(CONF_GROUP): vol.In(GROUPS),
        vol.Optional(CONF_RESERVED, default=False): cv.boolean,
    }
)


SLOTS_SCHEMA = vol.All(cv.ensure_list, [SLOT_SCHEMA], cv.unique("id", "slot id"))


@dataclass(frozen=True, slots=True)
class Slot:
    id: str
    polygon: tuple[tuple[float, float], ...]
    group: str | None = None
    reserved: bool = False


class SlotsFileError(Exception):
    """A slots file that cannot be used; the message names the file and the slot."""


def slots_from_config(items: Iterable[dict[str, Any]]) -> list[Slot]:
    """Slots from validated `SLOTS_SCHEMA` data."""
    return [
        Slot(
            item["id"],
            tuple(tuple(point) for point in item[CONF_POLYGON]),
            item.get(CONF_GROUP),
            item.get(CONF_RESERVED, False),
        )
        for item in items
    ]


def read_slots_file(path: Path) -> list[Slot]:
    """Blocking: run it in the executor."""
    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (OSError, ValueError, yaml.YAMLError) as err:
        raise SlotsFileError(f"{path}: cannot read slots ({err})") from None
    if not isinstance(data, dict) or "slots" not in data:
        raise SlotsFileError(f"{path}: expected a mapping with a 'slots' list")
    try:
        return slots_from_config(SLOTS_SCHEMA(data["slots"]))
    except vol.Invalid as err:
        raise SlotsFileError(f"{path}: slots: {describe_invalid(err)}") from None


def dump_slots(slots: Sequence[Slot], image_size: tuple[int, int] | None = None) -> str:
    """A slots file's text: one slot per line, easy to correct by hand."""
    lines = ["# Slot polygons in camera pixels; edit, then restart the hub or call"]
    lines.append("# occupancy.save_slots. Groups: " + ", ".join(GROUPS) + ".")
    if image_size is not None:
        lines.append(f"image_size: [{image_size[0]}, {image_size[1]}]")
    lines.append("slots:")
    for slot in slots:
        points = ", ".join(f"[{round(x)}, {round(y)}]" for x, y in slot.polygon)
        extra = f", group: {slot.group}" if slot.group else ""
        extra += ", reserved: true" if slot.reserved else ""
        lines.append(f"  - {{id: {json.dumps(slot.id)}, polygon: [{points}]{extra}}}")
    if not slots:
        lines[-1] = "slots: []"
    return "\n".join(lines) + "\n"


def write_slots_file(
    path: Path, slots: Sequence[Slot], image_size: tuple[int, int] | None = None
) -> None:
    """Blocking: run it in the executor."""
    write_atomically(path, dump_slots(slots, image_size).encode())
