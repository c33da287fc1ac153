"""The WebSocket commands: ping, get_states, call_service and the subscriptions.

`subscribe_entities` speaks Home Assistant's compressed format, so its frontend code
and libraries work unchanged: first every state as `{"a": {entity_id: compressed}}`,
then per change `{"c": {entity_id: {"+": {...}, "-": {"a": [...]}}}}`, `{"a": ...}` for
a new entity and `{"r": [entity_id]}` for a removed one.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Any, Final

import voluptuous as vol

from hub.core.bus import Event
from hub.core.const import EVENT_STATE_CHANGED, MATCH_ALL
from hub.core.json import json_bytes
from hub.core.states import State, valid_entity_id

from .ws_broadcast import async_get_broadcast
from .ws_connection import ERR_NOT_FOUND, ActiveConnection, WSCommand, websocket_command

__all__ = ["DEFAULT_COMMANDS", "compressed_state", "state_diff"]

_LOGGER = logging.getLogger(__name__)

# The keys of a compressed state (Home Assistant's COMPRESSED_STATE_*).
STATE: Final = "s"
ATTRIBUTES: Final = "a"
CONTEXT: Final = "c"
LAST_CHANGED: Final = "lc"
LAST_UPDATED: Final = "lu"
# The keys of an entities event, and of a change in it.
ENTITY_ADD: Final = "a"
ENTITY_CHANGE: Final = "c"
ENTITY_REMOVE: Final = "r"
DIFF_ADDITIONS: Final = "+"
DIFF_REMOVALS: Final = "-"


def _entity_id(value: Any) -> str:
    if not isinstance(value, str) or not valid_entity_id(value):
        raise vol.Invalid(f"invalid entity id {value!r}")
    return value


def _event_frame(msg_id: int, event_json: bytes) -> bytes:
    """An event message around already serialized JSON, so each event is encoded once."""
    return b'{"id":%d,"type":"event","event":%s}' % (msg_id, event_json)


# -- compressed states -------------------------------------------------------------------


def compressed_state(state: State) -> dict[str, Any]:
    """A state in few bytes: the entity id is the key, times are epoch seconds."""
    context = state.context
    compressed: dict[str, Any] = {
        STATE: state.state,
        ATTRIBUTES: dict(state.attributes),
        CONTEXT: context.id
        if context.parent_id is None and context.user_id is None
        else context.as_dict(),
        LAST_CHANGED: state.last_changed_timestamp,
    }
    if state.last_updated_timestamp != state.last_changed_timestamp:
        compressed[LAST_UPDATED] = state.last_updated_timestamp
    return compressed


def state_diff(old: State, new: State) -> dict[str, Any]:
    """What changed from `old` to `new`: `{"+": {...}}`, plus `{"-": {"a": [...]}}`."""
    additions: dict[str, Any] = {}
    diff: dict[str, Any] = {DIFF_ADDITIONS: additions}
    if old.state != new.state:
        additions[STATE] = new.state
    if old.last_changed_timestamp != new.last_changed_timestamp:
        additions[LAST_CHANGED] = new.last_changed_timestamp
    elif old.last_updated_timestamp != new.last_updated_timestamp:
        additions[LAST_UPDATED] = new.last_updated_timestamp
    old_ctx, new_ctx = old.context, new.context
    context: dict[str, Any] = {}
    if old_ctx.parent_id != new_ctx.parent_id:
        context["parent_id"] = new_ctx.parent_id
    if old_ctx.user_id != new_ctx.user_id:
        context["user_id"] = new_ctx.user_id
    if context:
        if old_ctx.id != new_ctx.id:
            context["id"] = new_ctx.id
        additions[CONTEXT] = context
    elif old_ctx.id != new_ctx.id:
        additions[CONTEXT] = new_ctx.id
    old_attrs, new_attrs = old.attributes, new.attributes
    if old_attrs != new_attrs:
        if changed := {
            key: value
            for key, value in new_attrs.items()
            if key not in old_attrs or old_attrs[key] != value
        }:
            additions[ATTRIBUTES] = changed
        if removed := [key for key in old_attrs if key not in new_attrs]:
            diff[DIFF_REMOVALS] = {ATTRIBUTES: removed}
    return diff


@lru_cache(maxsize=128)
def _entities_event_json(event: Event) -> bytes:
    """One state_changed event in the compressed format, encoded once for every client."""
    return _entities_json(event)


def _entities_json(event: Event) -> bytes:
    entity_id, old, new = event.data["entity_id"], event.data["old_state"], event.data["new_state"]
    if new is None:
        return json_bytes({ENTITY_REMOVE: [entity_id]})
    if old is None:
        return json_bytes({ENTITY_ADD: {entity_id: compressed_state(new)}})
    return json_bytes({ENTITY_CHANGE: {entity_id: state_diff(old, new)}})


@lru_cache(maxsize=128)
def _event_json(event: Event) -> bytes:
    return json_bytes(event)


# -- commands ----------------------------------------------------------------------------


@websocket_command({vol.Required("type"): "ping"})
def _ping(conn: ActiveConnection, msg: dict[str, Any]) -> None:
    conn.send_message({"id": msg["id"], "type": "pong"})


@websocket_command(
    {
        vol.Required("type"): "supported_features",
        vol.Optional("features", default=dict): {str: int},
    }
)
def _supported_features(conn: ActiveConnection, msg: dict[str, Any]) -> None:
    """The client says what it understands (Home Assistant's command); the hub uses
    `coalesce_messages`: several messages may then arrive as one JSON array."""
    conn.coalesce = bool(msg["features"].get("coalesce_messages"))
    conn.send_result(msg["id"])


@websocket_command({vol.Required("type"): "get_states"})
def _get_states(conn: ActiveConnection, msg: dict[str, Any]) -> None:
    states = conn.hub.states.async_all()
    access = conn.access
    if access is not None and access.restricted(conn.auth):  # a resident: availability only
        states = [shown for state in states if (shown := access.visible_state(conn.auth, state))]
    conn.send_result(msg["id"], states)


@websocket_command(
    {vol.Required("type"): "subscribe_events", vol.Optional("event_type", default=MATCH_ALL): str}
)
def _subscribe_events(conn: ActiveConnection, msg: dict[str, Any]) -> None:
    msg_id = msg["id"]
    access = conn.access
    restricted = access is not None and access.restricted(conn.auth)

    def forward(event: Event) -> None:
        if restricted:
            assert access is not None
            shown = access.visible_event(conn.auth, event)
            if shown is None:
                return
            event = shown
        try:
            event_json = _event_json(event)
        except TypeError as err:  # an integration put something odd in the data
            _LOGGER.error("Cannot send a %s event over the WebSocket: %s", event.event_type, err)
            return
        conn.send_bytes(_event_frame(msg_id, event_json))

    conn.subscriptions[msg_id] = conn.hub.bus.async_listen(msg["event_type"], forward)
    conn.send_result(msg_id)


@websocket_command({vol.Required("type"): "unsubscribe_events", vol.Required("subscription"): int})
def _unsubscribe_events(conn: ActiveConnection, msg: dict[str, Any]) -> None:
    unsubscribe = conn.subscriptions.pop(msg["subscription"], None)
    if unsubscribe is None:
        conn.send_error(msg["id"], ERR_NOT_FOUND, f"subscription {msg['subscription']} not found")
        return
    unsubscribe()
    conn.send_result(msg["id"])


@websocket_command(
    {vol.Required("type"): "subscribe_entities", vol.Optional("entity_ids"): [_entity_id]}
)
def _subscribe_entities(conn: ActiveConnection, msg: dict[str, Any]) -> None:
    """All (or the listed) states now, then each change as a diff."""
    msg_id, states = msg["id"], conn.hub.states
    entity_ids = list(dict.fromkeys(msg.get("entity_ids") or ()))
    access = conn.access
    restricted = access is not None and access.restricted(conn.auth)

    def forward(event: Event) -> None:
        if restricted:  # a resident: availability entities, without plates
            assert access is not None
            shown = access.visible_event(conn.auth, event)
            if shown is not None:
                conn.send_bytes(_event_frame(msg_id, _entities_json(shown)))
            return
        conn.send_bytes(_event_frame(msg_id, _entities_event_json(event)))

    if entity_ids:
        conn.subscriptions[msg_id] = states.async_track(entity_ids, forward)
        current = [state for entity_id in entity_ids if (state := states.get(entity_id))]
    elif not restricted:  # staff, every entity: one shared listener, batched (ws_broadcast)
        broadcast = async_get_broadcast(conn.hub, _entities_event_json)
        conn.subscriptions[msg_id] = broadcast.async_add(conn, msg_id)
        current = states.async_all()
    else:
        conn.subscriptions[msg_id] = conn.hub.bus.async_listen(EVENT_STATE_CHANGED, forward)
        current = states.async_all()
    if restricted:
        assert access is not None
        current = [shown for state in current if (shown := access.visible_state(conn.auth, state))]
    conn.send_result(msg_id)
    initial = {ENTITY_ADD: {state.entity_id: compressed_state(state) for state in current}}
    conn.send_bytes(_event_frame(msg_id, json_bytes(initial)))


@websocket_command(
    {
        vol.Required("type"): "call_service",
        vol.Required("domain"): str,
        vol.Required("service"): str,
        vol.Optional("service_data", default=dict): dict,
        vol.Optional("target", default=dict): dict,
        vol.Optional("return_response"): bool,
    }
)
async def _call_service(conn: ActiveConnection, msg: dict[str, Any]) -> None:
    """Call a service; `target` (which entities) is merged into its data, as in HA.

    The handler's answer is in `response` when it gave one, always with
    `return_response: true` (null if none) and never with `false`, which HA clients
    read as "no response expected".
    """
    context = conn.context(msg["id"])
    response = await conn.hub.services.async_call(
        msg["domain"],
        msg["service"],
        {**msg["service_data"], **msg["target"]},
        context=context,
        blocking=True,
    )
    result: dict[str, Any] = {"context": context}
    wanted = msg.get("return_response")
    if wanted or (wanted is None and response is not None):
        result["response"] = response
    conn.send_result(msg["id"], result)


DEFAULT_COMMANDS: Final[tuple[WSCommand, ...]] = (
    _ping,
    _supported_features,
    _get_states,
    _subscribe_events,
    _unsubscribe_events,
    _subscribe_entities,
    _call_service,
)
