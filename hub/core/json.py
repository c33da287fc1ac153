"""JSON for the APIs and the recorder: one encoder that knows the hub's own types."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from enum import Enum
from pathlib import Path
from typing import Any

import orjson

__all__ = ["JSONDecodeError", "json_bytes", "json_dumps", "json_loads"]

JSONDecodeError = orjson.JSONDecodeError
json_loads = orjson.loads

_OPTIONS = orjson.OPT_NON_STR_KEYS


def _default(obj: Any) -> Any:
    """Types orjson does not know: anything with `as_dict` (State, Event, Context) and friends."""
    if hasattr(obj, "as_dict"):
        return obj.as_dict()
    if isinstance(obj, Mapping):
        return dict(obj)
    if isinstance(obj, set | frozenset | tuple):
        return list(obj)
    if isinstance(obj, timedelta):
        return obj.total_seconds()
    if isinstance(obj, datetime | date | time):
        return obj.isoformat()
    if isinstance(obj, Enum):
        return obj.value
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"{type(obj).__name__} is not JSON serializable")


def json_bytes(obj: Any) -> bytes:
    return orjson.dumps(obj, default=_default, option=_OPTIONS)


def json_dumps(obj: Any) -> str:
    return orjson.dumps(obj, default=_default, option=_OPTIONS).decode()
