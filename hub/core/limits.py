"""The sizes every door of the hub enforces (issue 13's input limits), in one place.

A value past one of these is refused where it comes in, with a 400 (or a logged MQTT
bad-input report) naming the field, so nothing inside ever has to cope with a
5,000-character entity id, an attribute tree 500 deep (which made every later
`GET /api/states` fail: orjson stops at 255 levels), an amount SQLite cannot store, or a
date Python's datetime cannot add a day to. The voluptuous forms of these checks live in
`hub.validation`; this module stays free of heavy imports so `hub.core` can use it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any, Final

from .exceptions import ServiceValidationError

__all__ = [
    "MAX_DURATION",
    "MAX_ENTITY_ID_LENGTH",
    "MAX_MONEY",
    "MAX_NESTING",
    "MAX_PATH_BYTES",
    "MAX_PLATE_LENGTH",
    "MAX_STATE_BODY",
    "MAX_YEAR",
    "MIN_YEAR",
    "check_nesting",
    "describe_depth",
    "too_deep",
]

MAX_ENTITY_ID_LENGTH: Final = 255
MAX_PLATE_LENGTH: Final = 16
# Money in minor units (cents): 0 to 10^9, i.e. up to ten million in a two-decimal currency.
MAX_MONEY: Final = 10**9
MAX_DURATION: Final = timedelta(days=366)
MIN_YEAR: Final = 1970
MAX_YEAR: Final = 9999
MAX_PATH_BYTES: Final = 1024
# Containers inside containers, below the top object (attributes, service data, events).
MAX_NESTING: Final = 32
MAX_STATE_BODY: Final = 64 * 1024


def too_deep(value: Any, limit: int = MAX_NESTING) -> list[Any] | None:
    """The path to the first container nested deeper than `limit`, or None.

    The top object is level 0: `{"a": {"b": 1}}` is one level deep. Recursion stops
    past the limit, so any depth is safe to ask about.
    """
    return _too_deep(value, 0, limit)


def _too_deep(value: Any, depth: int, limit: int) -> list[Any] | None:
    if isinstance(value, Mapping):
        items: Any = value.items()
    elif isinstance(value, list | tuple):
        items = enumerate(value)
    else:
        return None
    if depth > limit:
        return []
    for key, item in items:
        if isinstance(item, Mapping | list | tuple):
            found = _too_deep(item, depth + 1, limit)
            if found is not None:
                return [key, *found]
    return None


def describe_depth(what: str, path: list[Any], limit: int = MAX_NESTING) -> str:
    shown = ".".join(str(part) for part in path[:3])
    return f"{what}: nested deeper than {limit} levels (at {what}.{shown}...)"


def check_nesting(value: Any, what: str, limit: int = MAX_NESTING) -> None:
    """Raise ServiceValidationError naming `what` when `value` is nested too deep."""
    path = too_deep(value, limit)
    if path is not None:
        raise ServiceValidationError(describe_depth(what, path, limit))
