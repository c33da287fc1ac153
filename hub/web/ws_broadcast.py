"""One bus listener for every staff client's `subscribe_entities` of all entities.

Five hundred panels each listening to `state_changed` meant five hundred listener calls
and five hundred queued messages per change: at a thousand changes a second that is
half a million of each, more than two cores can do. Here one listener keeps each change
(encoded once, `_entities_event_json`) in a batch, and at the end of the loop iteration
every subscriber gets the whole batch as one queued item: for a client that asked for
`coalesce_messages`, its messages comma-joined (the writer sends them as one JSON array),
else one message each. The work per change is one append; the work per subscriber is
one join per loop iteration, however many changes it held.

Residents' subscriptions (filtered per user) and those naming entity ids keep their own
listeners (`ws_commands._subscribe_entities`).
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Final

from hub.core.bus import CALLBACK_TYPE, Event
from hub.core.const import EVENT_STATE_CHANGED

if TYPE_CHECKING:
    from hub.core.hub import Hub

    from .ws_connection import ActiveConnection

__all__ = ["EntitiesBroadcast", "async_get_broadcast"]

_BROADCASTS: Final[weakref.WeakKeyDictionary[Hub, EntitiesBroadcast]] = weakref.WeakKeyDictionary()


class EntitiesBroadcast:
    """The all-entities subscribers of one hub, fed in batches."""

    def __init__(self, hub: Hub, encode: Callable[[Event], bytes]) -> None:
        self._hub = hub
        self._encode = encode
        # (connection, subscription id) -> the message's opening bytes with that id.
        self._subscribers: dict[tuple[ActiveConnection, int], bytes] = {}
        self._batch: list[bytes] = []
        self._flush: asyncio.Handle | None = None
        self._unlisten: CALLBACK_TYPE | None = None

    def async_add(self, conn: ActiveConnection, msg_id: int) -> CALLBACK_TYPE:
        """Send `conn` every state change under subscription `msg_id`; returns the undo."""
        if self._unlisten is None:
            self._unlisten = self._hub.bus.async_listen(EVENT_STATE_CHANGED, self._on_change)
        key = (conn, msg_id)
        self._subscribers[key] = b'{"id":%d,"type":"event","event":' % msg_id

        def remove() -> None:
            self._subscribers.pop(key, None)
            if not self._subscribers and self._unlisten is not None:
                self._unlisten()
                self._unlisten = None

        return remove

    def _on_change(self, event: Event) -> None:
        self._batch.append(self._encode(event))
        if self._flush is None:
            self._flush = asyncio.get_running_loop().call_soon(self._async_flush)

    def _async_flush(self) -> None:
        self._flush = None
        batch, self._batch = self._batch, []
        if not batch:
            return
        for (conn, _), opening in list(self._subscribers.items()):
            if conn.coalesce:
                conn.send_bytes(opening + (b"}," + opening).join(batch) + b"}")
            else:
                for payload in batch:
                    conn.send_bytes(opening + payload + b"}")


def async_get_broadcast(hub: Hub, encode: Callable[[Event], bytes]) -> EntitiesBroadcast:
    broadcast = _BROADCASTS.get(hub)
    if broadcast is None:
        broadcast = _BROADCASTS[hub] = EntitiesBroadcast(hub, encode)
    return broadcast
