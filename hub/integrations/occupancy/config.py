"""The `occupancy:` block: lots, each watched by one camera."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import voluptuous as vol

from hub import validation as cv

from .const import (
    CONF_CAMERA,
    CONF_FPS,
    CONF_LOTS,
    CONF_MODEL,
    CONF_MOTION_THRESHOLD,
    CONF_OVERLAY,
    CONF_SLOTS,
    CONF_SLOTS_FILE,
    CONF_STABLE_FOR,
    DEFAULT_FPS,
    DEFAULT_MOTION_THRESHOLD,
    DEFAULT_STABLE_SECONDS,
)
from .slots import SLOTS_SCHEMA, Slot, slots_from_config

__all__ = ["CONFIG_SCHEMA", "LotConfig", "lot_configs"]


def _slots_somewhere(lot: dict[str, Any]) -> dict[str, Any]:
    if CONF_SLOTS not in lot and CONF_SLOTS_FILE not in lot:
        raise vol.Invalid(f"a lot needs '{CONF_SLOTS}' or '{CONF_SLOTS_FILE}'")
    return lot


LOT_SCHEMA = vol.All(
    vol.Schema(
        {
            # Which camera entity watches the lot (camera.<id>).
            vol.Required(CONF_CAMERA): cv.entity_id,
            # Slot polygons here ...
            vol.Optional(CONF_SLOTS): SLOTS_SCHEMA,
            # ... or in a file (relative to the config folder) that `parkhub slots suggest` wrote.
            vol.Optional(CONF_SLOTS_FILE): cv.config_file,
            # Frames per second to look at; parked cars do not move fast.
            vol.Optional(CONF_FPS, default=DEFAULT_FPS): vol.All(
                vol.Coerce(float), vol.Range(min=0.05, max=30)
            ),
            # A slot flips only after its new state held this long.
            vol.Optional(CONF_STABLE_FOR, default=DEFAULT_STABLE_SECONDS): cv.time_period,
            # Mean grey change (0-255) in a slot that makes it worth classifying again.
            vol.Optional(CONF_MOTION_THRESHOLD, default=DEFAULT_MOTION_THRESHOLD): vol.All(
                vol.Coerce(float), vol.Range(min=0, max=255)
            ),
            # Draw the slots, coloured by state, on the camera's restream.
            vol.Optional(CONF_OVERLAY, default=True): cv.boolean,
            # A calibrated model file to start from (relative to the config folder); a
            # calibration made with `occupancy.calibrate` / `parkhub calibrate` wins.
            vol.Optional(CONF_MODEL): cv.config_file,
        }
    ),
    _slots_somewhere,
)

CONFIG_SCHEMA = vol.Schema({vol.Optional(CONF_LOTS, default={}): vol.Schema({cv.slug: LOT_SCHEMA})})


@dataclass(frozen=True)
class LotConfig:
    name: str
    camera: str
    fps: float
    stable_seconds: float
    motion_threshold: float
    overlay: bool
    slots: list[Slot] = field(default_factory=list)
    slots_file: Path | None = None
    model_file: Path | None = None


def lot_configs(config: dict[str, Any], config_dir: Path) -> list[LotConfig]:
    """Validated config -> one frozen LotConfig per lot (slots files not read yet)."""
    lots = []
    for name, lot in config.get(CONF_LOTS, {}).items():
        slots_file = lot.get(CONF_SLOTS_FILE)
        model_file = lot.get(CONF_MODEL)
        lots.append(
            LotConfig(
                name=name,
                camera=lot[CONF_CAMERA],
                fps=lot[CONF_FPS],
                stable_seconds=lot[CONF_STABLE_FOR].total_seconds(),
                motion_threshold=lot[CONF_MOTION_THRESHOLD],
                overlay=lot[CONF_OVERLAY],
                slots=slots_from_config(lot.get(CONF_SLOTS, [])),
                slots_file=config_dir / slots_file if slots_file else None,
                model_file=config_dir / model_file if model_file else None,
            )
        )
    return lots
