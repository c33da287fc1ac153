"""Names and defaults of the occupancy integration."""

from __future__ import annotations

from typing import Final

DOMAIN: Final = "occupancy"

# Every slot is resampled to this upright patch before its features are measured.
PATCH_H: Final = 16
PATCH_W: Final = 32

CONF_LOTS: Final = "lots"
CONF_NAME: Final = "name"
CONF_CAMERA: Final = "camera"
CONF_SLOTS: Final = "slots"
CONF_SLOTS_FILE: Final = "slots_file"
CONF_POLYGON: Final = "polygon"
CONF_GROUP: Final = "group"
CONF_RESERVED: Final = "reserved"
CONF_FPS: Final = "fps"
CONF_STABLE_FOR: Final = "stable_for"
CONF_MOTION_THRESHOLD: Final = "motion_threshold"
CONF_OVERLAY: Final = "overlay"
CONF_MODEL: Final = "model"

DEFAULT_FPS: Final = 2.0
DEFAULT_STABLE_SECONDS: Final = 3.0
# Mean absolute grey change (0-255) of a slot patch that counts as "something moved".
DEFAULT_MOTION_THRESHOLD: Final = 4.0
# Even an unchanged slot is looked at again this often, so slow light changes are seen.
RECHECK_SECONDS: Final = 30.0

GROUPS: Final = ("visitor", "resident", "ev", "disabled")

ATTR_CONFIDENCE: Final = "confidence"
ATTR_SINCE: Final = "since"
ATTR_PLATE: Final = "plate"
ATTR_RESERVED: Final = "reserved"
ATTR_GROUP: Final = "group"
ATTR_TOTAL: Final = "total"
ATTR_OCCUPIED: Final = "occupied"

# Fired by parking: {lot, slots: [slot ids reserved now], count_any: n}.
EVENT_RESERVATIONS_CHANGED: Final = "parking_reservations_changed"

SERVICE_CALIBRATE: Final = "calibrate"
SERVICE_SAVE_SLOTS: Final = "save_slots"

MODEL_FILE: Final = "model.json"  # the shipped model, beside this module
CALIBRATION_DIR: Final = "occupancy"  # per-lot models, under the data directory
