"""The state machine: the current state of every entity, and who watches which one."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Mapping
from datetime import UTC, datetime
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from .bus import CALLBACK_TYPE, Event, EventListener, EventOrigin, without
from .const import EVENT_STATE_CHANGED, MAX_STATE_LENGTH
from .context import Context
from .exceptions import InvalidEntityId, ServiceValidationError
from .json import json_bytes
from .limits import MAX_ENTITY_ID_LENGTH

if TYPE_CHECKING:
    from .bus import EventBus

__all__ = ["State", "StateMachine", "valid_entity_id"]

_ENTITY_ID = re.compile(r"^(?!_)[a-z0-9_]+(?<!_)\.(?!_)[a-z0-9_]+(?<!_)$")
_EMPTY: Mapping[str, Any] = MappingProxyType({})

# A subscription to an entity: the listener, and the old and new states it wants (None: any).
_Tracker = tuple[EventListener, frozenset[str] | None, frozenset[str] | None]


class _Filtered:
    """An entity's trackers when some of them filter, and, when all of them filter the new
    state, every state any of them wants (so one lookup turns the rest away)."""

    __slots__ = ("trackers", "wanted")

    def __init__(self, trackers: tuple[_Tracker, ...], wanted: frozenset[str] | None) -> None:
        self.trackers = trackers
        self.wanted = wanted


def valid_entity_id(entity_id: str) -> bool:
    """True for `<domain>.<object_id>` with lower-case slugs on both sides, 255 at most."""
    return len(entity_id) <= MAX_ENTITY_ID_LENGTH and _ENTITY_ID.match(entity_id) is not None


def _describe_invalid(entity_id: str) -> str:
    if len(entity_id) > MAX_ENTITY_ID_LENGTH:
        return (
            f"invalid entity id {entity_id[:40]!r}...: "
            f"longer than {MAX_ENTITY_ID_LENGTH} characters"
        )
    return f"invalid entity id {entity_id!r}: expected <domain>.<object_id>"


class State:
    """An entity's state at one moment. Immutable by convention: a change makes a new State."""

    __slots__ = (
        "_as_dict",
        "_as_json",
        "attributes",
        "context",
        "entity_id",
        "last_changed_timestamp",
        "last_updated_timestamp",
        "state",
    )

    def __init__(
        self,
        entity_id: str,
        state: str,
        attributes: Mapping[str, Any],
        last_changed_timestamp: float,
        last_updated_timestamp: float,
        context: Context,
    ) -> None:
        self.entity_id = entity_id
        self.state = state
        self.attributes = attributes
        self.last_changed_timestamp = last_changed_timestamp
        self.last_updated_timestamp = last_updated_timestamp
        self.context = context
        self._as_dict: dict[str, Any] | None = None
        self._as_json: bytes | None = None

    @property
    def domain(self) -> str:
        return self.entity_id.partition(".")[0]

    @property
    def object_id(self) -> str:
        return self.entity_id.partition(".")[2]

    @property
    def name(self) -> str:
        """The friendly name, or the object id made readable."""
        name = self.attributes.get("friendly_name")
        return str(name) if name else self.object_id.replace("_", " ")

    @property
    def last_changed(self) -> datetime:
        return datetime.fromtimestamp(self.last_changed_timestamp, UTC)

    @property
    def last_updated(self) -> datetime:
        return datetime.fromtimestamp(self.last_updated_timestamp, UTC)

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape of the REST and WebSocket APIs; built once, then shared."""
        if self._as_dict is None:
            self._as_dict = {
                "entity_id": self.entity_id,
                "state": self.state,
                "attributes": dict(self.attributes),
                "last_changed": self.last_changed.isoformat(),
                "last_updated": self.last_updated.isoformat(),
                "context": self.context.as_dict(),
            }
        return self._as_dict

    def as_json(self) -> bytes:
        """`as_dict()` encoded, once: a state never changes, so `GET /api/states` joins
        these bytes instead of encoding a thousand states per request (as Home
        Assistant does)."""
        if self._as_json is None:
            self._as_json = json_bytes(self.as_dict())
        return self._as_json

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, State)
            and self.entity_id == other.entity_id
            and self.state == other.state
            and self.attributes == other.attributes
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        attrs = f"; {dict(self.attributes)}" if self.attributes else ""
        return f"<State {self.entity_id}={self.state}{attrs}>"


class StateMachine:
    """Holds the current State of every entity and announces each change.

    Watching one entity is a dict lookup (`async_track`), not a filter every listener
    runs over every change, so a thousand automations cost a thousand tiny lists.
    """

    def __init__(self, bus: EventBus, timestamp: Callable[[], float]) -> None:
        self._bus = bus
        self._timestamp = timestamp
        self._states: dict[str, State] = {}
        self._trackers: dict[str, tuple[_Tracker, ...]] = {}
        # What a change of a tracked entity goes through: the bare listeners when none of
        # its trackers filters (the event is built at once and handed to all), or _Filtered.
        self._dispatch: dict[str, tuple[EventListener, ...] | _Filtered] = {}
        # One set object per distinct filter: a thousand `to: "on"` share one, kept in cache.
        self._filters: dict[frozenset[str], frozenset[str]] = {}
        # Goes up with every change, so a reader can keep what it built from all states
        # (the REST API's `GET /api/states` body) until something changes.
        self.version = 0

    def get(self, entity_id: str) -> State | None:
        return self._states.get(entity_id)

    def __contains__(self, entity_id: object) -> bool:
        return entity_id in self._states

    def __len__(self) -> int:
        return len(self._states)

    def async_all(self, domains: str | Iterable[str] | None = None) -> list[State]:
        """Every state, or those of the given domains."""
        if domains is None:
            return list(self._states.values())
        wanted = {domains} if isinstance(domains, str) else set(domains)
        return [state for state in self._states.values() if state.domain in wanted]

    def async_entity_ids(self, domain: str | None = None) -> list[str]:
        if domain is None:
            return list(self._states)
        prefix = f"{domain}."
        return [entity_id for entity_id in self._states if entity_id.startswith(prefix)]

    def async_set(
        self,
        entity_id: str,
        new_state: str,
        attributes: Mapping[str, Any] | None = None,
        *,
        force_update: bool = False,
        context: Context | None = None,
        origin: EventOrigin = EventOrigin.local,
    ) -> State | None:
        """Set a state; returns the new State, or None when nothing changed (a no-op)."""
        old = self._states.get(entity_id)
        if old is None and not valid_entity_id(entity_id):
            raise InvalidEntityId(_describe_invalid(entity_id))
        if type(new_state) is not str:
            new_state = str(new_state)
        if len(new_state) > MAX_STATE_LENGTH:
            raise ServiceValidationError(
                f"state of {entity_id} is longer than {MAX_STATE_LENGTH} characters"
            )
        if attributes is None:
            frozen = old.attributes if old is not None else _EMPTY
        else:
            frozen = MappingProxyType(dict(attributes)) if attributes else _EMPTY
        same_state = old is not None and old.state == new_state and not force_update
        if same_state and old is not None and old.attributes == frozen:
            return None
        now = self._timestamp()
        state = State(
            entity_id,
            new_state,
            frozen,
            old.last_changed_timestamp if same_state and old is not None else now,
            now,
            context or Context(),
        )
        self._states[entity_id] = state
        self.version += 1
        self._announce(entity_id, old, state, state.context, origin, now)
        return state

    def async_remove(self, entity_id: str, context: Context | None = None) -> bool:
        """Forget an entity; listeners see a change with `new_state` None."""
        old = self._states.pop(entity_id, None)
        if old is None:
            return False
        self.version += 1
        self._announce(entity_id, old, None, context or Context(), EventOrigin.local, None)
        return True

    def async_restore(self, state: State) -> None:
        """Put back a state saved before a restart, keeping its timestamps; nobody is told."""
        if state.entity_id not in self._states:
            self._states[state.entity_id] = state
            self.version += 1

    def _announce(
        self,
        entity_id: str,
        old: State | None,
        new: State | None,
        context: Context,
        origin: EventOrigin,
        now: float | None,
    ) -> None:
        """Tell the bus's and this entity's listeners, building the event only if one wants it.

        A tracker whose `from_states`/`to_states` this change misses is skipped before
        anything is allocated: most watchers wait for one rare state of a busy entity.
        """
        watched = self._dispatch.get(entity_id)
        bus = self._bus
        event: Event | None
        if watched is None or isinstance(watched, tuple):  # no tracker filters
            if watched is None and not bus.has_listeners(EVENT_STATE_CHANGED):
                return
            event = Event(
                EVENT_STATE_CHANGED,
                {"entity_id": entity_id, "old_state": old, "new_state": new},
                origin,
                context,
                now if now is not None else self._timestamp(),
            )
            bus.async_dispatch(event)
            if watched is not None:
                bus.async_run_listeners(watched, event)
            return
        event = None
        if bus.has_listeners(EVENT_STATE_CHANGED):
            if now is None:
                now = self._timestamp()
            data = {"entity_id": entity_id, "old_state": old, "new_state": new}
            event = Event(EVENT_STATE_CHANGED, data, origin, context, now)
            bus.async_dispatch(event)
        new_text = new.state if new is not None else None
        if watched.wanted is not None and new_text not in watched.wanted:
            return  # none of this entity's trackers waits for this state
        for listener, from_states, to_states in watched.trackers:
            if to_states is not None and new_text not in to_states:
                continue
            if from_states is not None and (old.state if old else None) not in from_states:
                continue
            if event is None:  # built here, not above, as the first tracker to want it
                if now is None:
                    now = self._timestamp()
                data = {"entity_id": entity_id, "old_state": old, "new_state": new}
                event = Event(EVENT_STATE_CHANGED, data, origin, context, now)
            bus.async_run_listener(listener, event)

    def async_track(
        self,
        entity_ids: str | Iterable[str],
        listener: EventListener,
        *,
        from_states: Collection[str] | None = None,
        to_states: Collection[str] | None = None,
    ) -> CALLBACK_TYPE:
        """Call `listener(state_changed event)` when any of these entities changes.

        With `from_states` or `to_states`, only changes from (or into) one of those states
        reach the listener; a new entity has no state to come from, and a removed one none
        to go to. The rest are turned away by set lookups, before an event is built.
        Returns the unsubscribe callable, which undoes this subscription only.
        """
        ids = [entity_ids] if isinstance(entity_ids, str) else list(entity_ids)
        tracker: _Tracker = (listener, self._filter(from_states), self._filter(to_states))
        for entity_id in ids:
            self._watch(entity_id, (*self._trackers.get(entity_id, ()), tracker))

        def remove() -> None:
            for entity_id in ids:
                self._watch(entity_id, without(self._trackers.get(entity_id, ()), tracker))

        return remove

    def _filter(self, states: Collection[str] | None) -> frozenset[str] | None:
        if states is None:
            return None
        wanted = frozenset(states)
        return self._filters.setdefault(wanted, wanted)

    def _watch(self, entity_id: str, trackers: tuple[_Tracker, ...]) -> None:
        if not trackers:
            self._trackers.pop(entity_id, None)
            self._dispatch.pop(entity_id, None)
            return
        self._trackers[entity_id] = trackers
        if all(tracker[1] is None and tracker[2] is None for tracker in trackers):
            self._dispatch[entity_id] = tuple(tracker[0] for tracker in trackers)
        elif all(tracker[2] is not None for tracker in trackers):
            wanted = frozenset().union(*(tracker[2] or () for tracker in trackers))
            self._dispatch[entity_id] = _Filtered(trackers, self._filter(wanted))
        else:
            self._dispatch[entity_id] = _Filtered(trackers, None)
