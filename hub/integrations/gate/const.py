"""Names of the gate domain: states, services, the command event, config keys."""

from __future__ import annotations

from typing import Final

DOMAIN: Final = "gate"

# Home Assistant's cover states, so panels and automations speak one language.
STATE_OPEN: Final = "open"
STATE_OPENING: Final = "opening"
STATE_CLOSED: Final = "closed"
STATE_CLOSING: Final = "closing"

COMMAND_OPEN: Final = "open"
COMMAND_CLOSE: Final = "close"
COMMAND_STOP: Final = "stop"

SERVICE_OPEN: Final = "open"
SERVICE_CLOSE: Final = "close"
SERVICE_TOGGLE: Final = "toggle"

EVENT_GATE_COMMAND: Final = "gate_command"

ATTR_LAST_COMMAND: Final = "last_command"
ATTR_LAST_PLATE: Final = "last_plate"
ATTR_REASON: Final = "reason"
ATTR_PLATE: Final = "plate"
ATTR_SOURCE: Final = "source"

CONF_ID: Final = "id"
CONF_NAME: Final = "name"
CONF_BACKEND: Final = "backend"
CONF_TRAVEL_TIME: Final = "travel_time"
CONF_AUTO_CLOSE: Final = "auto_close"
CONF_OPEN_URL: Final = "open_url"
CONF_CLOSE_URL: Final = "close_url"
CONF_METHOD: Final = "method"
CONF_BODY: Final = "body"
CONF_HEADERS: Final = "headers"
CONF_TIMEOUT: Final = "timeout"

BACKEND_DEMO: Final = "demo"
BACKEND_HTTP: Final = "http"
BACKEND_MQTT: Final = "mqtt"

DEFAULT_TRAVEL_TIME: Final = 3.0
DEFAULT_HTTP_TIMEOUT: Final = 5.0
