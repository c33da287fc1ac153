"""Names shared across the hub: event types, state strings and limits."""

from __future__ import annotations

from typing import Final

MATCH_ALL: Final = "*"

# Events named in DESIGN.md; integrations add their own in their const.py.
EVENT_STATE_CHANGED: Final = "state_changed"
EVENT_CALL_SERVICE: Final = "call_service"
EVENT_SERVICE_REGISTERED: Final = "service_registered"
EVENT_HUB_STARTED: Final = "hub_started"
EVENT_HUB_STOP: Final = "hub_stop"
# Fired by the plate reader (lpr), read by the plate trigger and by parking.
EVENT_PLATE_DETECTED: Final = "plate_detected"

STATE_ON: Final = "on"
STATE_OFF: Final = "off"
STATE_UNAVAILABLE: Final = "unavailable"
STATE_UNKNOWN: Final = "unknown"

ATTR_ENTITY_ID: Final = "entity_id"
ATTR_FRIENDLY_NAME: Final = "friendly_name"
ATTR_UNIT_OF_MEASUREMENT: Final = "unit_of_measurement"

MAX_STATE_LENGTH: Final = 255
MAX_EVENT_TYPE_LENGTH: Final = 64

DEFAULT_PORT: Final = 8123
