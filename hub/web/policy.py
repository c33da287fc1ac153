"""Who may do what: THE policy table of the web API, and nothing else.

Three tables, one entry a line, each naming the lowest role that may use something:

- `ROUTES`, keyed `"METHOD /path/{pattern}"` exactly as the route was registered
  (HEAD follows GET);
- `SERVICES`, keyed `"domain.service"` (or `"domain.*"` for a whole domain), for service
  calls over REST (`POST /api/services/...`) and WebSocket (`call_service`) alike;
- `WS_COMMANDS`, keyed by the WebSocket message `type`.

**Default deny**: whatever a table does not name is admin-only. So a new route, service
or command is safe the moment it exists, and opening it to operators or residents is a
one-line change here (tests/web/test_policy_matrix.py fails until every registered one
is named or deliberately left to the default, see `ADMIN_ONLY` below).

A static folder (`router.add_static("/static", ...)`) is one route keyed by its prefix:
`"GET /static": PUBLIC`. The panel's page and files must be PUBLIC (the login screen is
shown before anyone is signed in); what they load from the API is checked as usual.

`RESIDENT` means "a signed-in user of any role", and the handler then shows a resident
only what is theirs (`access.py`: `resident_state`, `resident_event`; parking's own
routes filter by the user's vehicles). A service open to residents must also pass its
owner check (`AccessControl.async_register_owner_check`): without one, residents are
refused, so a resident-level service cannot act on someone else's car by accident.
"""

from __future__ import annotations

import re
from enum import IntEnum
from functools import lru_cache
from typing import Final

__all__ = [
    "ADMIN_ONLY",
    "ROUTES",
    "SERVICES",
    "SYSTEM_EVENTS",
    "WS_AUDITED",
    "WS_COMMANDS",
    "Access",
    "event_allowed",
    "readable_entity",
    "role_level",
    "route_rule",
    "service_rule",
    "ws_rule",
]


class Access(IntEnum):
    """The lowest role a rule lets in; roles compare by this order."""

    PUBLIC = 0  # no credentials at all (login, onboarding, the panel's files)
    RESIDENT = 1
    OPERATOR = 2
    ADMIN = 3
    # Markers: the route acts on a service or an event, and that one's rule decides.
    BY_SERVICE = 10
    BY_EVENT = 11


PUBLIC, RESIDENT, OPERATOR, ADMIN = Access.PUBLIC, Access.RESIDENT, Access.OPERATOR, Access.ADMIN
BY_SERVICE, BY_EVENT = Access.BY_SERVICE, Access.BY_EVENT

_ROLE_LEVELS: Final = {"resident": RESIDENT, "operator": OPERATOR, "admin": ADMIN}

# fmt: off
ROUTES: Final[dict[str, Access]] = {
    # sign-in (auth_api.py)
    "POST /auth/login": PUBLIC,
    "POST /auth/logout": RESIDENT,          # any signed-in user (cookie: with CSRF)
    "GET /auth/session": RESIDENT,          # 401 when not signed in
    "POST /auth/password": RESIDENT,        # one's own password
    "POST /api/onboarding": PUBLIC,         # needs the one-time code from the log
    "GET /api/onboarding": PUBLIC,          # whether the first admin is still to be made
    "GET /api/auth/tokens": RESIDENT,       # own tokens (admin: all)
    "DELETE /api/auth/tokens/{token_id}": RESIDENT,
    "GET /api/users/{name}/vehicles": RESIDENT,   # own (operator, admin: anyone's)
    "PUT /api/users/{name}/vehicles": OPERATOR,
    # the core API (rest.py)
    "GET /api/": RESIDENT,
    "GET /api/states": RESIDENT,            # residents: availability entities only
    "GET /api/states/{entity_id}": RESIDENT,
    "GET /api/services": OPERATOR,
    "POST /api/services/{domain}/{service}": BY_SERVICE,
    "GET /api/events": OPERATOR,
    "POST /api/events/{event_type}": BY_EVENT,
    "GET /api/history": OPERATOR,
    "GET /api/history/statistics": OPERATOR,
    "GET /api/websocket": PUBLIC,           # authenticates inside its own protocol
    # Home Assistant's extra routes (rest_ha.py), the API description and metrics
    "GET /api/config": OPERATOR,
    "GET /api/components": OPERATOR,
    "GET /api/history/period": OPERATOR,
    "GET /api/history/period/{start}": OPERATOR,
    "GET /api/openapi.json": RESIDENT,      # the API's shape, no data
    "GET /metrics": PUBLIC,                 # checks an admin or the metrics token itself
    # integrations
    "GET /api/camera/{entity_id}/snapshot.jpg": OPERATOR,
    "GET /api/camera/{entity_id}/stream.mjpeg": OPERATOR,
    "GET /api/parking/sessions": RESIDENT,  # residents: their vehicles' only
    "GET /api/parking/sessions/{session_id}": RESIDENT,
    "GET /api/parking/reservations": RESIDENT,
    "GET /api/lpr/lists": OPERATOR,
    "GET /api/lpr/lists/{name}/plates": OPERATOR,
    "POST /api/lpr/lists/{name}/plates": OPERATOR,
    "DELETE /api/lpr/lists/{name}/plates/{plate}": OPERATOR,
    "GET /api/lpr/media/{path}": OPERATOR,
    "GET /api/notify/panel": RESIDENT,     # one's own (staff: also the staff's)
    "POST /api/notify/panel/read_all": RESIDENT,
    "POST /api/notify/panel/{id}/read": RESIDENT,
    "POST /api/notify/panel/{id}/unread": RESIDENT,
    "DELETE /api/notify/panel/{id}": RESIDENT,
    # what the panel reads (hub/frontend/, issue 14)
    "GET /api/occupancy/lots": RESIDENT,    # where the spaces are: availability
    "GET /api/gate/log": OPERATOR,
    "GET /api/lpr/reads": OPERATOR,
    "GET /api/parking/sessions.csv": OPERATOR,
    "GET /api/parking/anomalies": OPERATOR,
    "GET /api/parking/report": OPERATOR,  # revenue: staff only, never residents
    # the panel's own files: the shell holds no data
    "GET /": PUBLIC,
    "GET /lot": PUBLIC,
    "GET /home": PUBLIC,
    "GET /cameras": PUBLIC,
    "GET /gates": PUBLIC,
    "GET /plates": PUBLIC,
    "GET /sessions": PUBLIC,
    "GET /notifications": PUBLIC,
    "GET /login": PUBLIC,
    "GET /onboarding": PUBLIC,
    "GET /frontend/{path}": PUBLIC,
    "GET /sw.js": PUBLIC,
    "GET /manifest.webmanifest": PUBLIC,
}

SERVICES: Final[dict[str, Access]] = {
    "gate.*": OPERATOR,
    "parking.start_session": OPERATOR,
    "parking.end_session": OPERATOR,
    "parking.pay": OPERATOR,
    "parking.extend": OPERATOR,
    "parking.reserve": RESIDENT,            # residents: for their own vehicles
    "parking.cancel_reservation": RESIDENT,
    "parking.acknowledge_anomaly": OPERATOR,
    "parking.correct_plate": OPERATOR,
    "lpr.add_plate": OPERATOR,
    "lpr.remove_plate": OPERATOR,
}

WS_COMMANDS: Final[dict[str, Access]] = {
    "ping": RESIDENT,
    "supported_features": RESIDENT,         # the client's protocol features (coalescing)
    "get_states": RESIDENT,                 # residents: availability entities only
    "subscribe_entities": RESIDENT,         # likewise
    "subscribe_events": RESIDENT,           # residents: their sessions, availability
    "unsubscribe_events": RESIDENT,
    "call_service": BY_SERVICE,
    "fire_event": BY_EVENT,
    "get_config": OPERATOR,
    "get_services": OPERATOR,
    "notify/panel/list": RESIDENT,          # one's own (staff: also the staff's)
    "notify/panel/mark_read": RESIDENT,
}
# fmt: on

# WebSocket commands that change something: each call is a row in the audit log.
WS_AUDITED: Final = frozenset({"call_service", "fire_event", "notify/panel/mark_read"})

# Named only so the matrix test knows they are admin-only on purpose, not forgotten.
ADMIN_ONLY: Final = frozenset(
    {
        "POST /api/states/{entity_id}",
        "POST /api/template",
        "GET /api/automations/{automation_id}/traces",
        "GET /api/discovery",
        "POST /api/discovery/{id}/adopt",
        "POST /api/discovery/{id}/ignore",
        "GET /api/audit",
        "GET /api/users",
        "POST /api/users",
        "DELETE /api/users/{name}",
        "automation.*",
        "recorder.*",
        "occupancy.*",
        "notify.*",
        "lpr.scan",
        "counter.*",
        "input_boolean.*",
        "input_number.*",
        "input_select.*",
        "input_text.*",
        "timer.*",
    }
)

# Events only the hub (and admins) fire: their listeners open barriers and bill people.
SYSTEM_EVENTS: Final = frozenset(
    {
        "plate_detected",
        "gate_command",
        "overstay",
        "anomaly",
        "automation_triggered",
        "device_discovered",
        "call_service",
        "state_changed",
        "service_registered",
    }
)
_SYSTEM_PREFIXES: Final = ("parking_", "hub_", "notification_", "mqtt_", "lpr_", "occupancy_")

# What a resident may read of the lot: availability. Attributes listed are removed.
_READABLE: Final[tuple[tuple[re.Pattern[str], frozenset[str]], ...]] = (
    (re.compile(r"binary_sensor\.[a-z0-9_]+_slot_[a-z0-9_]+"), frozenset({"plate"})),
    (re.compile(r"sensor\.[a-z0-9_]+_free_spaces"), frozenset()),
)


def role_level(role: str) -> Access:
    """A role's level; an unknown role (a hand-edited file) gets nothing."""
    return _ROLE_LEVELS.get(role, PUBLIC)


def route_rule(method: str, pattern: str) -> Access:
    """The rule of a registered route; unnamed: ADMIN."""
    if method == "HEAD":
        method = "GET"
    return ROUTES.get(f"{method} {pattern}", ADMIN)


def service_rule(domain: str, service: str) -> Access:
    """The rule of `domain.service` (a `domain.*` entry covers the domain); unnamed: ADMIN."""
    rule = SERVICES.get(f"{domain}.{service}")
    if rule is None:
        rule = SERVICES.get(f"{domain}.*", ADMIN)
    return rule


def ws_rule(command: str) -> Access:
    return WS_COMMANDS.get(command, ADMIN)


def event_allowed(role: str, event_type: str) -> bool:
    """Operators fire their own events; the system's (and any for residents) are admin's."""
    level = role_level(role)
    if level >= ADMIN:
        return True
    if level < OPERATOR:
        return False
    return event_type not in SYSTEM_EVENTS and not event_type.startswith(_SYSTEM_PREFIXES)


@lru_cache(maxsize=8192)
def readable_entity(entity_id: str) -> frozenset[str] | None:
    """For a resident: the attributes to hide of an availability entity, else None.

    Cached: a resident's GET /api/states asks this for every entity on every call."""
    for pattern, hidden in _READABLE:
        if pattern.fullmatch(entity_id):
            return hidden
    return None
