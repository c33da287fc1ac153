"""Names of the parking integration: events, services, anomaly kinds, config keys."""

from __future__ import annotations

from typing import Final

DOMAIN: Final = "parking"
DB_FILE: Final = "parking.db"  # under the data directory

# Events (DESIGN.md names the first four).
EVENT_SESSION_STARTED: Final = "parking_session_started"
EVENT_SESSION_ENDED: Final = "parking_session_ended"
EVENT_OVERSTAY: Final = "overstay"
EVENT_ANOMALY: Final = "anomaly"
EVENT_RESERVATIONS_CHANGED: Final = "parking_reservations_changed"
EVENT_RESERVATION_EXPIRED: Final = "parking_reservation_expired"
# An operator saw an anomaly: {anomaly_id (the anomaly event's context id), note}.
EVENT_ANOMALY_ACKNOWLEDGED: Final = "parking_anomaly_acknowledged"

# `anomaly` kinds.
ANOMALY_DUPLICATE_ENTRY: Final = "duplicate_entry"
ANOMALY_EXIT_WITHOUT_ENTRY: Final = "exit_without_entry"
ANOMALY_BLOCKED_PLATE: Final = "blocked_plate"
ANOMALY_NEAR_MATCH: Final = "near_match"
ANOMALY_LONG_STAY: Final = "long_stay"
ANOMALY_NO_PLATE_PASSAGE: Final = "no_plate_passage"

SERVICE_START_SESSION: Final = "start_session"
SERVICE_END_SESSION: Final = "end_session"
SERVICE_PAY: Final = "pay"
SERVICE_EXTEND: Final = "extend"
SERVICE_RESERVE: Final = "reserve"
SERVICE_CANCEL_RESERVATION: Final = "cancel_reservation"
SERVICE_ACKNOWLEDGE_ANOMALY: Final = "acknowledge_anomaly"
SERVICE_CORRECT_PLATE: Final = "correct_plate"

DIRECTION_ENTRY: Final = "entry"
DIRECTION_EXIT: Final = "exit"
DIRECTION_UNKNOWN: Final = "unknown"

PAYMENT_METHODS: Final = ("cash", "card", "online")

# Session status.
STATUS_OPEN: Final = "open"
STATUS_CLOSED: Final = "closed"

# Reservation status.
RES_BOOKED: Final = "booked"  # waiting for the car
RES_USED: Final = "used"  # the car came in during its window
RES_EXPIRED: Final = "expired"  # the car did not come within the grace
RES_CANCELLED: Final = "cancelled"

CONF_LOTS: Final = "lots"
CONF_DB_URL: Final = "db_url"
CONF_REPORT_ALL_NODES: Final = "report_all_nodes"
CONF_NAME: Final = "name"
CONF_CAPACITY: Final = "capacity"
CONF_OCCUPANCY_LOT: Final = "occupancy_lot"
CONF_CAMERAS: Final = "cameras"
CONF_GATES: Final = "gates"
CONF_TARIFF: Final = "tariff"
CONF_MAX_STAY: Final = "max_stay"
CONF_MAX_STAY_LISTS: Final = "max_stay_lists"
CONF_LONG_STAY: Final = "long_stay"
CONF_NEAR_MATCH_DISTANCE: Final = "near_match_distance"
CONF_PASSAGE_WINDOW: Final = "passage_window"
CONF_RESERVATION_GRACE: Final = "reservation_grace"

CONF_RATE: Final = "rate"
CONF_PERIOD: Final = "period"
CONF_GRACE: Final = "grace"
CONF_DAILY_MAX: Final = "daily_max"
CONF_DAILY_MAX_PER: Final = "daily_max_per"
CONF_FREE_LISTS: Final = "free_lists"
CONF_TIME_RATES: Final = "time_rates"
CONF_SURCHARGE: Final = "surcharge"
CONF_BELOW_FREE: Final = "below_free"
CONF_MULTIPLIER: Final = "multiplier"

DAILY_PER_24H: Final = "24h"
DAILY_PER_CALENDAR_DAY: Final = "calendar_day"

DEFAULT_LOT: Final = "lot"
DEFAULT_LONG_STAY_DAYS: Final = 7
DEFAULT_NEAR_MATCH_DISTANCE: Final = 1
DEFAULT_PASSAGE_WINDOW: Final = 30.0
DEFAULT_RESERVATION_GRACE: Final = 30 * 60.0
