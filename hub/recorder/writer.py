"""Turning a batch of events into rows, and inserting them in one transaction.

Kept apart from the Recorder so the part that touches every row is small and readable:
one pass builds plain tuples, then one `executemany` per table. The writer caches entity
ids' `metadata_id`s and the attribute hashes already stored, so a steady stream of
changes costs no lookups; both caches are updated only after a commit succeeds.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any, Final

from hub.core.bus import Event
from hub.core.const import EVENT_STATE_CHANGED
from hub.core.json import json_bytes, json_dumps
from hub.core.states import State
from hub.database import Database

__all__ = ["BatchWriter"]

_LOGGER = logging.getLogger(__name__)

# Attribute hashes known to be stored already; past this many the set starts over.
_MAX_KNOWN_ATTRIBUTES: Final = 50_000

_SELECT_META: Final = "SELECT entity_id, metadata_id FROM states_meta WHERE node = ?"
_SELECT_META_IN: Final = f"{_SELECT_META} AND entity_id IN (SELECT value FROM json_each(?))"
_INSERT_META: Final = (
    "INSERT INTO states_meta (node, entity_id) VALUES (?, ?) ON CONFLICT DO NOTHING"
)
_INSERT_ATTRIBUTES: Final = "INSERT INTO state_attributes VALUES (?, ?) ON CONFLICT DO NOTHING"
_INSERT_STATE: Final = """INSERT INTO states (metadata_id, state, attributes_id, last_changed_ts,
    last_updated_ts, context_id, context_parent_id, context_user_id) VALUES (?,?,?,?,?,?,?,?)"""
_INSERT_EVENT: Final = """INSERT INTO events (node, event_type, event_data, origin, time_fired_ts,
    context_id, context_parent_id, context_user_id) VALUES (?,?,?,?,?,?,?,?)"""


def _attributes_id(shared: bytes) -> int:
    """A stable 64-bit key for an attributes blob (Python's `hash` is salted per process)."""
    digest = hashlib.blake2b(shared, digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class BatchWriter:
    """Writes batches of events; owns the entity-id and attribute caches that make it cheap."""

    def __init__(self, node: str = "") -> None:
        self.node = node
        self.metadata_ids: dict[str, int] = {}
        self._known_attributes: set[int] = set()

    async def async_load(self, db: Database) -> None:
        """(Re)load this node's entity ids from the database; at start and after a purge."""
        rows = await db.fetchall(_SELECT_META, (self.node,))
        self.metadata_ids = {row[0]: row[1] for row in rows}
        self._known_attributes.clear()

    async def async_write(self, db: Database, batch: list[Event]) -> None:
        """Insert the batch in one transaction; on an error nothing of it is stored."""
        states: list[tuple[Any, ...]] = []
        events: list[tuple[Any, ...]] = []
        attributes: dict[int, str] = {}
        for event in batch:
            if event.event_type == EVENT_STATE_CHANGED:
                states.append(self._state_row(event, attributes))
            elif (row := self._event_row(event)) is not None:
                events.append(row)
        async with db.transaction():
            ids = await self._async_metadata_ids(db, {row[0] for row in states})
            if attributes:
                await db.executemany(_INSERT_ATTRIBUTES, attributes.items())
            if states:
                await db.executemany(_INSERT_STATE, [(ids[row[0]], *row[1:]) for row in states])
            if events:
                await db.executemany(_INSERT_EVENT, [(self.node, *row) for row in events])
        self.metadata_ids.update(ids)
        known = self._known_attributes
        if len(known) + len(attributes) > _MAX_KNOWN_ATTRIBUTES:
            known.clear()
        known.update(attributes)

    def _state_row(self, event: Event, attributes: dict[int, str]) -> tuple[Any, ...]:
        """A `states` row keyed by entity id (swapped for its metadata_id at insert).

        A removal (`new_state` None) is a row with a NULL state at the time it happened.
        New attribute blobs are added to `attributes`, keyed by their hash.
        """
        entity_id: str = event.data["entity_id"]
        new: State | None = event.data["new_state"]
        if new is None:
            fired = event.time_fired_timestamp
            return (entity_id, None, None, fired, fired, *_context(event))
        attributes_id = None
        if new.attributes:
            try:
                shared = json_bytes(dict(new.attributes))
            except TypeError as err:
                _LOGGER.warning("Not recording the attributes of %s: %s", entity_id, err)
            else:
                attributes_id = _attributes_id(shared)
                if attributes_id not in self._known_attributes:
                    attributes[attributes_id] = shared.decode()
        changed, updated = new.last_changed_timestamp, new.last_updated_timestamp
        return (entity_id, new.state, attributes_id, changed, updated, *_context(event))

    @staticmethod
    def _event_row(event: Event) -> tuple[Any, ...] | None:
        try:
            data = json_dumps(event.data)
        except TypeError as err:
            _LOGGER.warning("Not recording a %s event: %s", event.event_type, err)
            return None
        fired = event.time_fired_timestamp
        return (event.event_type, data, str(event.origin), fired, *_context(event))

    async def _async_metadata_ids(self, db: Database, entity_ids: set[str]) -> dict[str, int]:
        """Ids for these entities, registering new ones inside the caller's transaction.

        Returned, not cached: `async_write` caches them once the transaction commits.
        """
        known = self.metadata_ids
        ids = {entity_id: known[entity_id] for entity_id in entity_ids & known.keys()}
        if missing := entity_ids - ids.keys():
            node = self.node
            await db.executemany(_INSERT_META, [(node, entity_id) for entity_id in missing])
            rows = await db.fetchall(_SELECT_META_IN, (node, json_dumps(list(missing))))
            ids.update({row[0]: row[1] for row in rows})
        return ids


def _context(event: Event) -> tuple[str, str | None, str | None]:
    ctx = event.context
    return (ctx.id, ctx.parent_id, ctx.user_id)
