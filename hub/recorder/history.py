"""Reading back what the recorder wrote: state history, events, and the last state of each entity.

Entity and event-type lists go to the database as one JSON array (`IN (SELECT value FROM
json_each(?))`, on PostgreSQL `json_array_elements_text`), so a query never hits the
bound-parameter limit however many ids a caller asks for, and the statement text stays
the same (SQLite caches its plan).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any, Final

from hub.core.context import Context
from hub.core.json import json_dumps, json_loads
from hub.core.states import State
from hub.database import Database

from .schema import last_state_id

__all__ = ["async_events_during", "async_last_states", "async_states_during", "iso"]

_LOGGER = logging.getLogger(__name__)

# An end past any real timestamp, for open-ended queries.
_FOREVER: Final = 1e18

_LAST_STATE_BEFORE: Final = last_state_id("before")

_START_STATES: Final = f"""
SELECT m.entity_id, s.state, a.shared_attrs, s.last_changed_ts, s.last_updated_ts
FROM states_meta m
JOIN states s ON s.state_id = ({_LAST_STATE_BEFORE})
LEFT JOIN state_attributes a ON a.attributes_id = s.attributes_id
WHERE m.node = :node AND m.entity_id IN (SELECT value FROM json_each(:ids))
  AND s.state IS NOT NULL
"""

_STATES_BETWEEN: Final = """
SELECT m.entity_id, s.state, a.shared_attrs, s.last_changed_ts, s.last_updated_ts
FROM states s
JOIN states_meta m ON m.metadata_id = s.metadata_id
LEFT JOIN state_attributes a ON a.attributes_id = s.attributes_id
WHERE m.node = :node AND m.entity_id IN (SELECT value FROM json_each(:ids))
  AND s.last_updated_ts >= :start AND s.last_updated_ts < :end
ORDER BY s.metadata_id, s.last_updated_ts, s.state_id
"""

_LAST_STATES: Final = f"""
SELECT m.entity_id, s.state, a.shared_attrs, s.last_changed_ts, s.last_updated_ts,
       s.context_id, s.context_parent_id, s.context_user_id
FROM states_meta m
JOIN states s ON s.state_id = ({_LAST_STATE_BEFORE})
LEFT JOIN state_attributes a ON a.attributes_id = s.attributes_id
WHERE m.node = :node AND s.state IS NOT NULL
"""

_EVENTS_BETWEEN: Final = """
SELECT event_type, event_data, origin, time_fired_ts, context_id, context_parent_id,
       context_user_id
FROM events
WHERE node = :node AND time_fired_ts >= :start AND time_fired_ts < :end {types}
ORDER BY time_fired_ts, event_id
"""
# Two statements rather than `:types IS NULL OR ...`, which would hide the type index.
_ALL_EVENTS_BETWEEN: Final = _EVENTS_BETWEEN.format(types="")
_TYPED_EVENTS_BETWEEN: Final = _EVENTS_BETWEEN.format(
    types="AND event_type IN (SELECT value FROM json_each(:types))"
)


def iso(timestamp: float) -> str:
    """A stored UNIX timestamp as the ISO 8601 UTC string the APIs use."""
    return datetime.fromtimestamp(timestamp, UTC).isoformat()


def _state_dict(row: Any) -> dict[str, Any]:
    entity_id, state, shared_attrs, last_changed_ts, last_updated_ts = row
    return {
        "entity_id": entity_id,
        "state": state,
        "attributes": json_loads(shared_attrs) if shared_attrs else {},
        "last_changed": iso(last_changed_ts),
        "last_updated": iso(last_updated_ts),
    }


async def async_states_during(
    db: Database, node: str, entity_ids: Iterable[str], start_ts: float, end_ts: float | None
) -> dict[str, list[dict[str, Any]]]:
    """Each entity's states in [start, end), led by the one in effect at `start`.

    Like HA, the state in effect at `start` (the last one before it) comes first, keeping
    its real timestamps, so a timeline can be drawn from `start`. A removal shows as an
    entry with `state` None; an entity removed before `start` gets no leading entry.
    Entities with nothing to show are left out.
    """
    ids = json_dumps(list(entity_ids))
    end = _FOREVER if end_ts is None else end_ts
    result: dict[str, list[dict[str, Any]]] = {}
    for row in await db.fetchall(_START_STATES, {"node": node, "ids": ids, "before": start_ts}):
        result[row[0]] = [_state_dict(row)]
    params = {"node": node, "ids": ids, "start": start_ts, "end": end}
    for row in await db.fetchall(_STATES_BETWEEN, params):
        result.setdefault(row[0], []).append(_state_dict(row))
    return result


async def async_last_states(db: Database, node: str) -> dict[str, State]:
    """The newest stored state of every entity that was not removed: the restore cache."""
    restored: dict[str, State] = {}
    for row in await db.fetchall(_LAST_STATES, {"node": node, "before": _FOREVER}):
        entity_id, state, shared_attrs, changed, updated, ctx_id, parent, user = row
        attributes = json_loads(shared_attrs) if shared_attrs else {}
        restored[entity_id] = State(
            entity_id,
            state,
            MappingProxyType(attributes),
            changed,
            updated,
            Context(user_id=user, parent_id=parent, id=ctx_id),
        )
    return restored


async def async_events_during(
    db: Database, node: str, event_types: list[str] | None, start_ts: float, end_ts: float | None
) -> list[dict[str, Any]]:
    """Events fired in [start, end), oldest first, in `Event.as_dict()`'s shape."""
    params = {
        "node": node,
        "start": start_ts,
        "end": _FOREVER if end_ts is None else end_ts,
        "types": json_dumps(event_types),
    }
    if event_types is None:
        query = _ALL_EVENTS_BETWEEN
        del params["types"]
    else:
        query = _TYPED_EVENTS_BETWEEN
    rows = await db.fetchall(query, params)
    return [
        {
            "event_type": event_type,
            "data": json_loads(data),
            "origin": origin,
            "time_fired": iso(fired),
            "context": {"id": ctx_id, "parent_id": parent, "user_id": user},
        }
        for event_type, data, origin, fired, ctx_id, parent, user in rows
    ]
