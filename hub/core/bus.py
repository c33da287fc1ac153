"""The event bus: everything that happens in the hub is an event someone may listen to."""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine, Mapping
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, TypeVar

from .const import MATCH_ALL, MAX_EVENT_TYPE_LENGTH
from .context import Context
from .exceptions import ServiceValidationError

if TYPE_CHECKING:
    from .hub import Hub

__all__ = [
    "CALLBACK_TYPE",
    "Event",
    "EventBus",
    "EventListener",
    "EventOrigin",
    "remove_keyed",
    "without",
]

_LOGGER = logging.getLogger(__name__)

CALLBACK_TYPE = Callable[[], None]
EventListener = Callable[["Event"], Coroutine[Any, Any, None] | None]
_T = TypeVar("_T")


def without(items: tuple[_T, ...], item: _T) -> tuple[_T, ...]:
    """`items` less one subscription `item` (matched by identity).

    Only one: the same function subscribed twice is two subscriptions, and each
    unsubscribe undoes its own.
    """
    for index, each in enumerate(items):
        if each is item:
            return items[:index] + items[index + 1 :]
    return items


def remove_keyed(table: dict[str, tuple[_T, ...]], key: str, item: _T) -> None:
    """Drop one subscription from a table of copy-on-write subscription tuples."""
    if left := without(table.get(key, ()), item):
        table[key] = left
    else:
        table.pop(key, None)


class EventOrigin(StrEnum):
    """Where an event came from: this process or a remote one (REST, WebSocket, MQTT)."""

    local = "LOCAL"
    remote = "REMOTE"


class Event:
    """One thing that happened, with the context that caused it."""

    __slots__ = ("context", "data", "event_type", "origin", "time_fired_timestamp")

    def __init__(
        self,
        event_type: str,
        data: Mapping[str, Any] | None,
        origin: EventOrigin,
        context: Context,
        time_fired_timestamp: float,
    ) -> None:
        self.event_type = event_type
        self.data: Mapping[str, Any] = data or {}
        self.origin = origin
        self.context = context
        self.time_fired_timestamp = time_fired_timestamp

    @property
    def time_fired(self) -> datetime:
        return datetime.fromtimestamp(self.time_fired_timestamp, UTC)

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape used by the REST, WebSocket and MQTT APIs."""
        return {
            "event_type": self.event_type,
            "data": dict(self.data),
            "origin": str(self.origin),
            "time_fired": self.time_fired.isoformat(),
            "context": self.context.as_dict(),
        }

    def __repr__(self) -> str:
        return f"<Event {self.event_type}[{self.origin[0]}]: {dict(self.data)}>"


class EventBus:
    """Dispatches events to listeners keyed by event type.

    Listener lists are tuples replaced on change (copy on write), so firing iterates
    without copying and a listener may unsubscribe itself mid-dispatch. Synchronous
    listeners run inline; calling a coroutine listener gives a coroutine, which starts
    at once and becomes a tracked task only if it has to wait. A failing listener is
    logged and never stops the others.
    """

    def __init__(self, hub: Hub) -> None:
        self._hub = hub
        self._listeners: dict[str, tuple[EventListener, ...]] = {}
        self._match_all: tuple[EventListener, ...] = ()
        # Events fired, for /metrics: one integer add, read only when scraped.
        self.fired = 0

    def async_listeners(self) -> dict[str, int]:
        """Listener count per event type, for the API and for debugging leaks."""
        counts = {key: len(value) for key, value in self._listeners.items()}
        if self._match_all:
            counts[MATCH_ALL] = len(self._match_all)
        return counts

    def has_listeners(self, event_type: str) -> bool:
        return bool(self._match_all) or event_type in self._listeners

    def async_listen(self, event_type: str, listener: EventListener) -> CALLBACK_TYPE:
        """Call `listener(event)` for each event of that type (`*`: all); returns unsubscribe."""
        if event_type == MATCH_ALL:
            self._match_all = (*self._match_all, listener)
        else:
            self._listeners[event_type] = (*self._listeners.get(event_type, ()), listener)

        def remove() -> None:
            self._remove(event_type, listener)

        return remove

    def async_listen_once(self, event_type: str, listener: EventListener) -> CALLBACK_TYPE:
        """Like async_listen, but only for the next event; returns unsubscribe."""
        fired = False

        def once(event: Event) -> Coroutine[Any, Any, None] | None:
            nonlocal fired
            if fired:
                return None
            fired = True
            remove()
            return listener(event)

        remove = self.async_listen(event_type, once)
        return remove

    def _remove(self, event_type: str, listener: EventListener) -> None:
        if event_type == MATCH_ALL:
            self._match_all = without(self._match_all, listener)
        else:
            remove_keyed(self._listeners, event_type, listener)

    def async_fire(
        self,
        event_type: str,
        data: Mapping[str, Any] | None = None,
        origin: EventOrigin = EventOrigin.local,
        context: Context | None = None,
    ) -> None:
        """Fire an event. Nothing is built when nobody listens."""
        self.fired += 1
        if len(event_type) > MAX_EVENT_TYPE_LENGTH:
            raise ServiceValidationError(
                f"event type is longer than {MAX_EVENT_TYPE_LENGTH} characters: {event_type[:80]!r}"
            )
        listeners = self._listeners.get(event_type, ())
        if not listeners and not self._match_all:
            return
        event = Event(
            event_type, data, origin, context or Context(), self._hub.scheduler.timestamp()
        )
        self.async_run_listeners(listeners, event)
        if self._match_all:
            self.async_run_listeners(self._match_all, event)

    def async_dispatch(self, event: Event) -> None:
        """Deliver an already built event to its type's and the match-all listeners."""
        self.async_run_listeners(self._listeners.get(event.event_type, ()), event)
        if self._match_all:
            self.async_run_listeners(self._match_all, event)

    def async_run_listeners(self, listeners: tuple[EventListener, ...], event: Event) -> None:
        """Call each listener; a coroutine result becomes a tracked task."""
        for listener in listeners:
            try:
                result = listener(event)
            except Exception:
                _LOGGER.exception("Error in listener %r for %s", listener, event.event_type)
                continue
            if result is not None and isinstance(result, Coroutine):
                self._hub.async_run_coroutine(result, f"listener for {event.event_type}")

    def async_run_listener(self, listener: EventListener, event: Event) -> None:
        """`async_run_listeners` for one listener, without a tuple to hold it."""
        try:
            result = listener(event)
        except Exception:
            _LOGGER.exception("Error in listener %r for %s", listener, event.event_type)
            return
        if result is not None and isinstance(result, Coroutine):
            self._hub.async_run_coroutine(result, f"listener for {event.event_type}")
