"""What templates can call: state access that records what it read, time and duration helpers.

Kept apart from `hub.template` (which compiles, renders and tracks) so each module does one
job. Every state lookup goes through `RenderInfo.current()` so a render knows which entities
it read; that is what lets template triggers re-render only when those entities change.
"""

from __future__ import annotations

import contextlib
import json
import math
import re
from collections.abc import Callable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from hub.core.const import ATTR_UNIT_OF_MEASUREMENT, STATE_UNAVAILABLE, STATE_UNKNOWN
from hub.core.states import State, valid_entity_id

if TYPE_CHECKING:
    from hub.core.hub import Hub

__all__ = ["AllStates", "RenderInfo", "TemplateState", "hub_filters", "hub_functions"]

_SLUG = re.compile(r"^[a-z0-9_]+$")
# Names Jinja looks up on any object it calls or prints; never treat them as a domain or entity.
_RESERVED = frozenset(
    {"unsafe_callable", "alters_data", "jinja_pass_arg", "contextfunction", "environmentfunction"}
)
_NO_DEFAULT: Any = object()


@dataclass(slots=True)
class RenderInfo:
    """What one render read: entity ids, whole domains, every state, or the clock."""

    entities: set[str] = field(default_factory=set)
    domains: set[str] = field(default_factory=set)
    all_states: bool = False
    uses_time: bool = False

    @staticmethod
    def current() -> RenderInfo | None:
        return _CURRENT.get()


_CURRENT: ContextVar[RenderInfo | None] = ContextVar("template_render_info", default=None)


def collect_into(info: RenderInfo | None) -> Any:
    """Make `info` the current collector; returns the token to reset it with."""
    return _CURRENT.set(info)


def reset_collector(token: Any) -> None:
    _CURRENT.reset(token)


def _read(hub: Hub, entity_id: str) -> State | None:
    if (info := _CURRENT.get()) is not None:
        info.entities.add(entity_id)
    return hub.states.get(entity_id)


class TemplateState:
    """A read-only view of one State for templates (no context, no methods that change it)."""

    __slots__ = ("_state",)

    def __init__(self, state: State) -> None:
        self._state = state

    @property
    def entity_id(self) -> str:
        return self._state.entity_id

    @property
    def state(self) -> str:
        return self._state.state

    @property
    def attributes(self) -> Mapping[str, Any]:
        return self._state.attributes

    @property
    def domain(self) -> str:
        return self._state.domain

    @property
    def object_id(self) -> str:
        return self._state.object_id

    @property
    def name(self) -> str:
        return self._state.name

    @property
    def last_changed(self) -> datetime:
        return self._state.last_changed

    @property
    def last_updated(self) -> datetime:
        return self._state.last_updated

    @property
    def state_with_unit(self) -> str:
        unit = self._state.attributes.get(ATTR_UNIT_OF_MEASUREMENT)
        return f"{self._state.state} {unit}" if unit else self._state.state

    def __str__(self) -> str:
        return self._state.state

    def __repr__(self) -> str:
        return f"<template TemplateState({self._state!r})>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TemplateState) and other._state == self._state

    __hash__ = None  # type: ignore[assignment]


class DomainStates:
    """`states.sensor`: attribute access finds one entity; iterating lists the domain."""

    __slots__ = ("_domain", "_hub")

    def __init__(self, hub: Hub, domain: str) -> None:
        self._hub = hub
        self._domain = domain

    def __getattr__(self, name: str) -> TemplateState | None:
        if name.startswith("_") or name in _RESERVED:
            raise AttributeError(name)
        state = _read(self._hub, f"{self._domain}.{name}")
        return TemplateState(state) if state is not None else None

    def __iter__(self) -> Iterator[TemplateState]:
        if (info := _CURRENT.get()) is not None:
            info.domains.add(self._domain)
        states = sorted(self._hub.states.async_all(self._domain), key=lambda s: s.entity_id)
        return iter([TemplateState(state) for state in states])

    def __len__(self) -> int:
        return len(list(iter(self)))

    def __repr__(self) -> str:
        return f"<template DomainStates {self._domain}>"


class AllStates:
    """`states`: callable (`states('gate.entry')`), by domain (`states.gate.entry`), iterable."""

    __slots__ = ("_hub",)

    def __init__(self, hub: Hub) -> None:
        self._hub = hub

    def __getattr__(self, name: str) -> DomainStates:
        if name.startswith("_") or name in _RESERVED or not _SLUG.match(name):
            raise AttributeError(name)
        return DomainStates(self._hub, name)

    def __call__(self, entity_id: str, rounded: bool = False, with_unit: bool = False) -> str:
        state = _read(self._hub, str(entity_id).lower())
        if state is None:
            return STATE_UNKNOWN
        value = state.state
        if rounded:
            with contextlib.suppress(ValueError):
                value = str(round(float(value), 2))
        if with_unit and (unit := state.attributes.get(ATTR_UNIT_OF_MEASUREMENT)):
            value = f"{value} {unit}"
        return value

    def __iter__(self) -> Iterator[TemplateState]:
        if (info := _CURRENT.get()) is not None:
            info.all_states = True
        states = sorted(self._hub.states.async_all(), key=lambda s: s.entity_id)
        return iter([TemplateState(state) for state in states])

    def __len__(self) -> int:
        return len(list(iter(self)))

    def __repr__(self) -> str:
        return "<template AllStates>"


# -- conversions --------------------------------------------------------------------------


def _fail(name: str, value: Any) -> Any:
    raise ValueError(f"{name} got invalid input {value!r} and no default was given")


def _to_float(value: Any, default: Any = _NO_DEFAULT) -> Any:
    try:
        return float(value)
    except (ValueError, TypeError):
        return _fail("float", value) if default is _NO_DEFAULT else default


def _to_int(value: Any, default: Any = _NO_DEFAULT, base: int = 10) -> Any:
    try:
        if isinstance(value, str) and base != 10:
            return int(value, base)
        return int(float(value)) if isinstance(value, str) else int(value)
    except (ValueError, TypeError, OverflowError):
        return _fail("int", value) if default is _NO_DEFAULT else default


def _is_number(value: Any) -> bool:
    try:
        number = float(value)
    except (ValueError, TypeError):
        return False
    return not math.isnan(number) and not math.isinf(number)


def _bool(value: Any, default: Any = _NO_DEFAULT) -> Any:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on", "enable"):
        return True
    if text in ("0", "false", "no", "off", "disable"):
        return False
    return _fail("bool", value) if default is _NO_DEFAULT else default


def _iif(value: Any, if_true: Any = True, if_false: Any = False, if_none: Any = _NO_DEFAULT) -> Any:
    if value is None and if_none is not _NO_DEFAULT:
        return if_none
    return if_true if _bool(value, False) else if_false


def _regex_match(value: Any, pattern: str, ignorecase: bool = False) -> bool:
    flags = re.IGNORECASE if ignorecase else 0
    return re.match(pattern, str(value), flags) is not None


def _regex_search(value: Any, pattern: str, ignorecase: bool = False) -> bool:
    flags = re.IGNORECASE if ignorecase else 0
    return re.search(pattern, str(value), flags) is not None


def _regex_replace(value: Any, find: str, replace: str, ignorecase: bool = False) -> str:
    flags = re.IGNORECASE if ignorecase else 0
    return re.sub(find, replace, str(value), flags=flags)


def _regex_findall(value: Any, find: str, ignorecase: bool = False) -> list[Any]:
    flags = re.IGNORECASE if ignorecase else 0
    return re.findall(find, str(value), flags)


def _to_json(value: Any) -> str:
    from hub.core.json import json_dumps

    return json_dumps(value)


def _from_json(value: Any) -> Any:
    return json.loads(value)


def _timedelta(
    days: float = 0, hours: float = 0, minutes: float = 0, seconds: float = 0
) -> timedelta:
    return timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)


def _as_timedelta(value: Any) -> timedelta | None:
    """`"00:05:00"`, `"5m"`, `300` or a timedelta as a timedelta; None when unreadable."""
    import voluptuous as vol

    from hub.validation import time_period

    try:
        return time_period(value)
    except vol.Invalid:
        return None


def _plural(amount: int, unit: str) -> str:
    return f"{amount} {unit}" if amount == 1 else f"{amount} {unit}s"


def describe_duration(delta: timedelta) -> str:
    """The largest whole unit of a duration, the way a person says it: `5 minutes`."""
    seconds = int(abs(delta.total_seconds()))
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            return _plural(seconds // size, unit)
    return _plural(seconds, "second")


# -- the hub-bound set ---------------------------------------------------------------------


def hub_functions(hub: Hub) -> dict[str, Any]:
    """The globals every template sees, bound to `hub` (its states and its clock)."""

    def now() -> datetime:
        if (info := _CURRENT.get()) is not None:
            info.uses_time = True
        return hub.scheduler.utcnow().astimezone(hub.time_zone)

    def utcnow() -> datetime:
        if (info := _CURRENT.get()) is not None:
            info.uses_time = True
        return hub.scheduler.utcnow()

    def as_datetime(value: Any, default: Any = _NO_DEFAULT) -> Any:
        try:
            if isinstance(value, datetime):
                moment = value
            elif isinstance(value, date):
                moment = datetime(value.year, value.month, value.day)
            elif isinstance(value, int | float) and not isinstance(value, bool):
                return datetime.fromtimestamp(value, UTC)
            else:
                text = str(value).strip()
                if _is_number(text):
                    return datetime.fromtimestamp(float(text), UTC)
                moment = datetime.fromisoformat(text)
        except (ValueError, TypeError, OverflowError, OSError):
            return _fail("as_datetime", value) if default is _NO_DEFAULT else default
        return moment if moment.tzinfo else moment.replace(tzinfo=hub.time_zone)

    def as_timestamp(value: Any, default: Any = _NO_DEFAULT) -> Any:
        if isinstance(value, TemplateState):
            value = value.state
        moment = as_datetime(value, None)
        if moment is None:
            return _fail("as_timestamp", value) if default is _NO_DEFAULT else default
        return moment.timestamp()

    def as_local(value: datetime) -> datetime:
        return value.astimezone(hub.time_zone)

    def timestamp_custom(value: Any, fmt: str = "%Y-%m-%d %H:%M:%S", local: bool = True) -> str:
        moment = datetime.fromtimestamp(float(value), UTC)
        return (moment.astimezone(hub.time_zone) if local else moment).strftime(fmt)

    def relative_time(value: Any) -> str:
        moment = as_datetime(value, None)
        if moment is None:
            return str(value)
        if (info := _CURRENT.get()) is not None:
            info.uses_time = True
        return describe_duration(hub.scheduler.utcnow() - moment)

    def is_state(entity_id: str, state: Any) -> bool:
        current = _read(hub, str(entity_id).lower())
        if current is None:
            return False
        if isinstance(state, list | tuple | set):
            return current.state in [str(item) for item in state]
        return current.state == str(state)

    def state_attr(entity_id: str, name: str) -> Any:
        current = _read(hub, str(entity_id).lower())
        return None if current is None else current.attributes.get(name)

    def is_state_attr(entity_id: str, name: str, value: Any) -> bool:
        current = _read(hub, str(entity_id).lower())
        return (
            current is not None
            and name in current.attributes
            and (current.attributes[name] == value)
        )

    def has_value(entity_id: str) -> bool:
        text = str(entity_id).lower()
        if not valid_entity_id(text):
            return False
        current = _read(hub, text)
        return current is not None and current.state not in (STATE_UNKNOWN, STATE_UNAVAILABLE)

    return {
        "states": AllStates(hub),
        "is_state": is_state,
        "state_attr": state_attr,
        "is_state_attr": is_state_attr,
        "has_value": has_value,
        "now": now,
        "utcnow": utcnow,
        "as_timestamp": as_timestamp,
        "as_datetime": as_datetime,
        "as_local": as_local,
        "timestamp_custom": timestamp_custom,
        "relative_time": relative_time,
        "timedelta": _timedelta,
        "as_timedelta": _as_timedelta,
        "float": _to_float,
        "int": _to_int,
        "bool": _bool,
        "iif": _iif,
        "is_number": _is_number,
    }


def hub_filters(functions: Mapping[str, Callable[..., Any]]) -> dict[str, Callable[..., Any]]:
    """The filters: most functions again (`x | as_timestamp`), plus text and JSON helpers."""
    names = (
        "as_timestamp",
        "as_datetime",
        "as_local",
        "timestamp_custom",
        "relative_time",
        "as_timedelta",
        "float",
        "int",
        "bool",
        "iif",
        "is_number",
        "is_state",
        "state_attr",
        "has_value",
    )
    filters: dict[str, Callable[..., Any]] = {name: functions[name] for name in names}
    filters.update(
        {
            "regex_match": _regex_match,
            "regex_search": _regex_search,
            "regex_replace": _regex_replace,
            "regex_findall": _regex_findall,
            "to_json": _to_json,
            "from_json": _from_json,
        }
    )
    return filters
