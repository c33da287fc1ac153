"""Names the automation engine shares: config keys, modes, events and limits."""

from __future__ import annotations

from typing import Final

DOMAIN: Final = "automation"

CONF_ID: Final = "id"
CONF_ALIAS: Final = "alias"
CONF_TRIGGERS: Final = "triggers"
CONF_CONDITIONS: Final = "conditions"
CONF_ACTIONS: Final = "actions"
CONF_VARIABLES: Final = "variables"
CONF_MODE: Final = "mode"
CONF_MAX: Final = "max"
CONF_ENABLED: Final = "enabled"
CONF_FOR: Final = "for"
CONF_CONTINUE_ON_ERROR: Final = "continue_on_error"

MODE_SINGLE: Final = "single"
MODE_RESTART: Final = "restart"
MODE_QUEUED: Final = "queued"
MODE_PARALLEL: Final = "parallel"
MODES: Final = (MODE_SINGLE, MODE_RESTART, MODE_QUEUED, MODE_PARALLEL)
DEFAULT_MAX: Final = 10

EVENT_AUTOMATION_TRIGGERED: Final = "automation_triggered"
EVENT_AUTOMATION_RELOADED: Final = "automation_reloaded"

SERVICE_TRIGGER: Final = "trigger"
SERVICE_TURN_ON: Final = "turn_on"
SERVICE_TURN_OFF: Final = "turn_off"
SERVICE_TOGGLE: Final = "toggle"
SERVICE_RELOAD: Final = "reload"

# Traces kept per automation, in memory and across restarts.
STORED_TRACES: Final = 10
TRACES_FILE: Final = "automation_traces.json"
TRACES_SAVE_DELAY: Final = 1.0

WEEKDAYS: Final = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
