"""Names and defaults of the plate reader integration."""

from __future__ import annotations

from typing import Final

DOMAIN: Final = "lpr"

CONF_ENGINE: Final = "engine"
CONF_MODEL_STORAGE_DIRECTORY: Final = "model_storage_directory"
CONF_FORMATS: Final = "formats"
CONF_CAMERAS: Final = "cameras"
CONF_CAMERA: Final = "camera"
CONF_ROLE: Final = "role"
CONF_ZONE: Final = "zone"
CONF_FPS: Final = "fps"
CONF_MOTION_THRESHOLD: Final = "motion_threshold"
CONF_PASS_TIMEOUT: Final = "pass_timeout"
CONF_REPEAT_TIMEOUT: Final = "repeat_timeout"
CONF_MEDIA: Final = "media"
CONF_KEEP_DAYS: Final = "keep_days"
CONF_MAX_FILES: Final = "max_files"
CONF_LISTS: Final = "lists"
CONF_DB_URL: Final = "db_url"
CONF_KIND: Final = "kind"
CONF_MAX_DISTANCE: Final = "max_distance"
CONF_PLATES: Final = "plates"
CONF_PLATE: Final = "plate"
CONF_NOTE: Final = "note"
CONF_VALID_FROM: Final = "valid_from"
CONF_VALID_UNTIL: Final = "valid_until"

ROLE_ENTRY: Final = "entry"
ROLE_EXIT: Final = "exit"
ROLE_BOTH: Final = "both"
DIRECTION_UNKNOWN: Final = "unknown"

KIND_ALLOW: Final = "allow"
KIND_BLOCK: Final = "block"
LISTED_NONE: Final = "none"

DEFAULT_ENGINE: Final = "rapidocr"
DEFAULT_FORMATS: Final = ("any",)
DEFAULT_FPS: Final = 5.0
DEFAULT_MOTION_THRESHOLD: Final = 12.0
DEFAULT_PASS_TIMEOUT: Final = 3.0
DEFAULT_REPEAT_TIMEOUT: Final = 60.0
DEFAULT_KEEP_DAYS: Final = 7
DEFAULT_MAX_FILES: Final = 2000

EVENT_PLATE_DETECTED: Final = "plate_detected"

SERVICE_SCAN: Final = "scan"
SERVICE_ADD_PLATE: Final = "add_plate"
SERVICE_REMOVE_PLATE: Final = "remove_plate"

# Motion: frames are shrunk to this width (grey, blurred) before differencing, and this
# share of the zone's pixels must change by more than `motion_threshold` grey levels.
MOTION_WIDTH: Final = 160
MOTION_MIN_SHARE: Final = 0.004

# Voting: a pass's plate is reported once this many reads agree (one of them of the
# whole plate), or at once when a single read fits a lot format other than the catch-all
# `any` and is this confident: VOTE_CONFIDENT when the plate is whole in the frame,
# VOTE_SURE when it is cut by the edge of the frame or zone (a car driving into view:
# in bench/lpr_demo.py a cut E read as an F at 0.935 and, once, at 0.997).
VOTE_MIN_AGREEING: Final = 2
VOTE_CONFIDENT: Final = 0.9
VOTE_SURE: Final = 0.999
# A plate box this close (pixels) to the edge of the looked-at area is cut by it.
EDGE_MARGIN: Final = 2
# Reads within this edit distance are one plate (OCR slips by a character or two).
VOTE_SIMILAR_DISTANCE: Final = 2
CANDIDATES_MAX: Final = 3

DB_FILE: Final = "lpr.db"
MEDIA_DIR: Final = "lpr"
MEDIA_URL: Final = "/api/lpr/media"
JPEG_QUALITY: Final = 85
CROP_MARGIN: Final = 0.15
