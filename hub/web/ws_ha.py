"""WebSocket commands Home Assistant's client libraries send besides the core ones.

`get_config`, `get_services` and `fire_event`, with HA's message and result shapes
(`supported_features`, which `homeassistant-api` sends right after auth, is a core
command: ws_commands.py).
"""

from __future__ import annotations

from typing import Any, Final

import voluptuous as vol

from hub.core.bus import EventOrigin
from hub.core.exceptions import ServiceValidationError, Unauthorized

from .rest import RESERVED_EVENTS, describe_services
from .rest_ha import hub_config
from .ws_connection import ActiveConnection, WSCommand, websocket_command

__all__ = ["HA_COMMANDS"]


@websocket_command({vol.Required("type"): "get_config"})
def _get_config(conn: ActiveConnection, msg: dict[str, Any]) -> None:
    conn.send_result(msg["id"], hub_config(conn.hub))


@websocket_command({vol.Required("type"): "get_services"})
def _get_services(conn: ActiveConnection, msg: dict[str, Any]) -> None:
    """`{domain: {service: {name, description, fields}}}`, fields from each schema."""
    services = conn.hub.services.async_services()
    conn.send_result(
        msg["id"],
        {domain: describe_services(by_name) for domain, by_name in sorted(services.items())},
    )


@websocket_command(
    {
        vol.Required("type"): "fire_event",
        vol.Required("event_type"): str,
        vol.Optional("event_data", default=dict): dict,
    }
)
def _fire_event(conn: ActiveConnection, msg: dict[str, Any]) -> None:
    """Fire an event as a remote one; admins only, as in Home Assistant."""
    if conn.auth.role != "admin":
        raise Unauthorized("firing events is for admins only")
    event_type = msg["event_type"]
    if event_type in RESERVED_EVENTS:
        raise ServiceValidationError(f"{event_type} events can only be fired by the hub itself")
    context = conn.context()
    conn.hub.bus.async_fire(event_type, msg["event_data"], EventOrigin.remote, context)
    conn.send_result(msg["id"], {"context": context})


HA_COMMANDS: Final[tuple[WSCommand, ...]] = (
    _get_config,
    _get_services,
    _fire_event,
)
