"""Shared voluptuous validators, so every integration rejects bad config with the same words.

Each validator is a plain function usable inside a ``vol.Schema``: it returns the cleaned value
or raises ``vol.Invalid`` with a message a lot owner can act on ("expected int, got 'ten'"),
never a Python traceback. Type errors name the value that was found, because the config loader
prints only ``file:line: path: message``.
"""

from __future__ import annotations

import difflib
import math
import re
import unicodedata
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import jinja2
import voluptuous as vol

from hub.core.limits import (
    MAX_DURATION,
    MAX_ENTITY_ID_LENGTH,
    MAX_MONEY,
    MAX_NESTING,
    MAX_PATH_BYTES,
    MAX_PLATE_LENGTH,
    MAX_YEAR,
    MIN_YEAR,
    describe_depth,
    too_deep,
)
from hub.plates import normalize_plate

__all__ = [
    "ConfigFile",
    "boolean",
    "config_file",
    "date_time",
    "describe_value",
    "empty_block",
    "ensure_list",
    "entity_id",
    "entity_ids",
    "money",
    "nested",
    "path",
    "plate",
    "polygon",
    "port",
    "positive_int",
    "positive_time_period",
    "slug",
    "string",
    "template",
    "time_of_day",
    "time_period",
    "time_zone",
    "unique",
    "url",
]

_TRUE = frozenset({"1", "true", "yes", "on", "enable"})
_FALSE = frozenset({"0", "false", "no", "off", "disable"})
_SLUG_RE = re.compile(r"^[a-z0-9_]+$")
_ENTITY_ID_RE = re.compile(r"^[a-z0-9_]+\.[a-z0-9_]+$")
_SECONDS_RE = re.compile(r"^[-+]?\d+(?:\.\d+)?$")
_UNITS_RE = re.compile(r"^([-+])?((?:\s*\d+(?:\.\d+)?\s*[smhd])+)$")
_UNIT_PART_RE = re.compile(r"(\d+(?:\.\d+)?)\s*([smhd])")
_CLOCK_RE = re.compile(r"^([-+])?(\d+):(\d{1,2})(?::(\d{1,2}(?:\.\d+)?))?$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_PERIOD_KEYS = ("days", "hours", "minutes", "seconds", "milliseconds")
_URL_SCHEMES = ("http", "https", "mqtt", "mqtts", "rtsp")
# Parsing needs no sandbox and no hub functions: unknown filters are only looked up at compile time.
_JINJA = jinja2.Environment()


def describe_value(value: Any) -> str:
    """Name a config value the way a lot owner wrote it, for "got ..." in messages."""
    if value is None:
        return "nothing"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        shown = value if len(value) <= 60 else value[:57] + "..."
        return repr(shown)
    return str(value)


def string(value: Any) -> str:
    """Accept text, and numbers as their text (``name: 2024`` is a fine name)."""
    if value is None or isinstance(value, dict | list):
        raise vol.Invalid(f"expected a string, got {describe_value(value)}")
    return str(value)


class ConfigFile(str):
    """A file a config names, relative to the config file's folder.

    A `str` like any other to the code that uses it; the type only marks it so
    `parkhub check-config` can find every such value and report the ones that do not exist.
    """

    __slots__ = ()


def config_file(value: Any) -> ConfigFile:
    """A path to a file (relative to the config file's folder), checked by check-config."""
    text = string(value).strip()
    if not text:
        raise vol.Invalid("expected a file path, got nothing")
    return ConfigFile(text)


def boolean(value: Any) -> bool:
    """Accept the words people write for yes and no, not only YAML's own booleans."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        word = value.strip().lower()
        if word in _TRUE:
            return True
        if word in _FALSE:
            return False
    raise vol.Invalid(
        f"expected a boolean (true/false, yes/no, on/off), got {describe_value(value)}"
    )


def _to_int(value: Any) -> int:
    """Take ints, whole floats and digit strings (``!env_var`` values are always strings)."""
    if isinstance(value, bool):
        raise vol.Invalid(f"expected int, got {describe_value(value)}")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"\s*[-+]?\d+\s*", value):
        return int(value)
    raise vol.Invalid(f"expected int, got {describe_value(value)}")


def positive_int(value: Any) -> int:
    """A count or a number of days: 1 or more (zero is almost always a mistake here)."""
    number = _to_int(value)
    if number < 1:
        raise vol.Invalid(f"expected a positive int, got {number}")
    return number


def port(value: Any) -> int:
    """A TCP port, 1 to 65535."""
    number = _to_int(value)
    if not 1 <= number <= 65535:
        raise vol.Invalid(f"expected a port number from 1 to 65535, got {number}")
    return number


def slugify(text: str, default: str = "unnamed") -> str:
    """`"Entry Gate #2"` -> `"entry_gate_2"`: ASCII, lower case, underscores; `default`
    when nothing is left (a name of symbols only)."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_") or default


def slug(value: Any) -> str:
    """An id that ends up in entity ids and MQTT topics: lower-case letters, digits and ``_``."""
    text = string(value)
    if not _SLUG_RE.match(text):
        hint = slugify(text, default="")
        suffix = f", e.g. '{hint}'" if hint else ""
        raise vol.Invalid(f"invalid slug {text!r} (use lower-case letters, digits and _{suffix})")
    return text


def entity_id(value: Any) -> str:
    """``<domain>.<object_id>`` in lower-case slugs; upper case is folded like Home Assistant."""
    text = string(value)
    if len(text) > MAX_ENTITY_ID_LENGTH:
        raise vol.Invalid(
            f"invalid entity id {describe_value(text)}: "
            f"longer than {MAX_ENTITY_ID_LENGTH} characters"
        )
    normal = text.strip().lower()
    if not _ENTITY_ID_RE.match(normal):
        raise vol.Invalid(f"invalid entity id {text!r}")
    return normal


def entity_ids(value: Any) -> list[str]:
    """One entity id, a comma-separated string of them, or a list; always a list back."""
    if value is None:
        raise vol.Invalid("expected entity ids, got nothing")
    if isinstance(value, str):
        return [entity_id(part) for part in value.split(",") if part.strip()]
    result: list[str] = []
    for index, item in enumerate(ensure_list(value)):
        try:
            result.append(entity_id(item))
        except vol.Invalid as err:
            raise vol.Invalid(err.msg, path=[index]) from None
    return result


def ensure_list(value: Any) -> list[Any]:
    """Let a single item stand for a one-item list; an empty key means an empty list."""
    if value is None:
        return []
    if isinstance(value, list):
        return value
    return [value]


def empty_block(value: Any) -> Any:
    """A bare `section:` line (YAML null) means all defaults: put before the section's dict."""
    return {} if value is None else value


def unique(key: str, what: str) -> Callable[[list[dict[str, Any]]], list[dict[str, Any]]]:
    """A validator for a list of mappings in which no two share `key`.

    The error names the second one by its path: `camera id 'gate' is used twice`.
    """

    def validate(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        seen: set[Any] = set()
        for index, item in enumerate(items):
            if item[key] in seen:
                raise vol.Invalid(f"{what} {item[key]!r} is used twice", path=[index, key])
            seen.add(item[key])
        return items

    return validate


def _period_from_dict(value: dict[Any, Any]) -> timedelta:
    if not value:
        raise vol.Invalid(f"expected at least one of {', '.join(_PERIOD_KEYS)}")
    parts: dict[str, float] = {}
    for key, amount in value.items():
        if key not in _PERIOD_KEYS:
            raise vol.Invalid(f"unknown key (expected {', '.join(_PERIOD_KEYS)})", path=[key])
        if isinstance(amount, bool) or not isinstance(amount, int | float):
            raise vol.Invalid(f"expected a number, got {describe_value(amount)}", path=[key])
        if not math.isfinite(amount) or abs(amount) > _MAX_PERIOD_SECONDS:
            raise _period_too_long(amount)
        parts[str(key)] = float(amount)
    return timedelta(**parts)


_MAX_PERIOD_SECONDS = MAX_DURATION.total_seconds()


def _period_too_long(value: Any) -> vol.Invalid:
    return vol.Invalid(
        f"expected a time period of at most {MAX_DURATION.days} days, got {describe_value(value)}"
    )


def _capped(period: timedelta, value: Any) -> timedelta:
    if abs(period) > MAX_DURATION:
        raise _period_too_long(value)
    return period


def _period_from_str(text: str) -> timedelta | None:
    text = text.strip()
    if _SECONDS_RE.match(text):
        return timedelta(seconds=float(text))
    if match := _UNITS_RE.match(text):
        seconds = sum(
            float(amount) * _UNIT_SECONDS[unit]
            for amount, unit in _UNIT_PART_RE.findall(match.group(2))
        )
        return timedelta(seconds=-seconds if match.group(1) == "-" else seconds)
    if match := _CLOCK_RE.match(text):
        sign, hours, minutes, secs = match.groups()
        if int(minutes) > 59 or (secs is not None and float(secs) >= 60):
            return None
        period = timedelta(hours=int(hours), minutes=int(minutes), seconds=float(secs or 0))
        return -period if sign == "-" else period
    return None


def time_period(value: Any) -> timedelta:
    """A duration: seconds, ``"HH:MM[:SS]"``, ``"90s"``/``"5m"``/``"1h30m"`` or ``{minutes: 5}``."""
    if isinstance(value, timedelta):
        return _capped(value, value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        if not math.isfinite(value) or abs(value) > _MAX_PERIOD_SECONDS:
            raise _period_too_long(value)
        return timedelta(seconds=value)
    if isinstance(value, dict):
        return _capped(_period_from_dict(value), value)
    if isinstance(value, str) and len(value) <= 64:
        try:
            period = _period_from_str(value)
        except OverflowError:
            raise _period_too_long(value) from None
        if period is not None:
            return _capped(period, value)
    raise vol.Invalid(
        "expected a time period (seconds, 'HH:MM:SS', '5m' or {minutes: 5}), "
        f"got {describe_value(value)}"
    )


def positive_time_period(value: Any) -> timedelta:
    """A duration that must be longer than zero (an interval, a timeout)."""
    period = time_period(value)
    if period <= timedelta(0):
        raise vol.Invalid(f"expected a time period longer than zero, got {describe_value(value)}")
    return period


def time_of_day(value: Any) -> time:
    """A wall-clock time, ``"HH:MM"`` or ``"HH:MM:SS"``, for opening hours and time triggers."""
    if isinstance(value, time):
        return value
    if isinstance(value, str):
        match = re.fullmatch(r"\s*(\d{1,2}):(\d{2})(?::(\d{2}))?\s*", value)
        if match:
            hour, minute, second = (int(part or 0) for part in match.groups())
            if hour < 24 and minute < 60 and second < 60:
                return time(hour, minute, second)
    raise vol.Invalid(f"expected a time of day (HH:MM or HH:MM:SS), got {describe_value(value)}")


def time_zone(value: Any) -> str:
    """An IANA time zone name (``Europe/Berlin``), checked against the system's tz database."""
    name = string(value).strip()
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        pass
    else:
        return name
    close = difflib.get_close_matches(name, available_timezones(), n=1)
    hint = f"did you mean {close[0]!r}?" if close else "expected a name like 'Europe/Berlin'"
    raise vol.Invalid(f"unknown time zone {name!r} ({hint})")


def url(value: Any) -> str:
    """A URL the hub can reach: http(s) for webhooks, mqtt(s) for brokers, rtsp for cameras."""
    text = string(value).strip()
    try:
        parts = urlsplit(text)
        valid = parts.scheme.lower() in _URL_SCHEMES and bool(parts.hostname)
        _ = parts.port  # raises ValueError for a port that is not a number
    except ValueError:
        valid = False
    if not valid:
        raise vol.Invalid(
            f"invalid URL {text!r} (expected {', '.join(_URL_SCHEMES)} with a host, "
            "e.g. 'mqtt://broker.local:1883')"
        )
    return text


def template(value: Any) -> str:
    """A Jinja2 template, checked for syntax now so a typo fails at load, not at 3 a.m."""
    text = string(value)
    try:
        _JINJA.parse(text)
    except jinja2.TemplateSyntaxError as err:
        raise vol.Invalid(f"invalid template: {err.message} (template line {err.lineno})") from None
    return text


def _point(value: Any) -> tuple[float, float]:
    if isinstance(value, list | tuple) and len(value) == 2:
        x, y = value
        if all(isinstance(c, int | float) and not isinstance(c, bool) for c in (x, y)):
            return (float(x), float(y))
    raise vol.Invalid(f"expected an [x, y] pair of numbers, got {describe_value(value)}")


def polygon(value: Any) -> list[tuple[float, float]]:
    """A slot outline in image coordinates: at least three ``[x, y]`` points."""
    if not isinstance(value, list | tuple):
        raise vol.Invalid(f"expected a list of [x, y] points, got {describe_value(value)}")
    points: list[tuple[float, float]] = []
    for index, item in enumerate(value):
        try:
            points.append(_point(item))
        except vol.Invalid as err:
            raise vol.Invalid(err.msg, path=[index]) from None
    if len(points) < 3:
        raise vol.Invalid(f"a polygon needs at least 3 points, got {len(points)}")
    return points


def plate(value: Any) -> str:
    """A licence plate as the hub compares it (`ka-01 ab 1234` -> `KA01AB1234`): at most
    16 letters and digits."""
    text = string(value)
    normal = normalize_plate(text) if len(text) <= 4 * MAX_PLATE_LENGTH else text
    if not normal:
        raise vol.Invalid("expected a plate with letters or digits")
    if len(normal) > MAX_PLATE_LENGTH:
        raise vol.Invalid(
            f"expected a plate of at most {MAX_PLATE_LENGTH} letters and digits, "
            f"got {len(text)} characters"
        )
    return normal


def money(value: Any) -> int:
    """An amount in minor units (cents), 0 to 10^9: whole numbers only (`1e308` is refused,
    it would not fit SQLite's INTEGER)."""
    if isinstance(value, bool):
        raise vol.Invalid(f"expected an amount in minor units, got {describe_value(value)}")
    if isinstance(value, float):
        if math.isfinite(value) and not 0 <= value <= MAX_MONEY:
            raise vol.Invalid(
                f"expected an amount from 0 to {MAX_MONEY} minor units, got {value:g}"
            )
        if not math.isfinite(value) or not value.is_integer():
            raise vol.Invalid(f"expected a whole amount in minor units, got {value}")
    try:
        number = _to_int(value) if not isinstance(value, float) else int(value)
    except vol.Invalid:
        raise vol.Invalid(
            f"expected an amount in minor units, got {describe_value(value)}"
        ) from None
    if not 0 <= number <= MAX_MONEY:
        raise vol.Invalid(f"expected an amount from 0 to {MAX_MONEY} minor units, got {number}")
    return number


def date_time(value: Any) -> datetime:
    """An ISO 8601 date and time (offset optional) in the years 1970 to 9999.

    Naive times stay naive (the caller decides their zone). The range keeps every later
    step (a zone conversion, adding a day) inside what Python and SQLite can hold.
    """
    if isinstance(value, datetime):
        moment = value
    else:
        text = string(value).strip()
        if len(text) > 64:
            raise vol.Invalid(f"expected an ISO 8601 date and time, got {describe_value(text)}")
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise vol.Invalid(
                f"expected an ISO 8601 date and time, got {describe_value(value)}"
            ) from None
    if not MIN_YEAR <= moment.year <= MAX_YEAR:
        raise vol.Invalid(
            f"expected a date from {MIN_YEAR} to {MAX_YEAR}, got {moment.isoformat()}"
        )
    try:
        # Both ends of the range, with a day to spare for zones and additions.
        (moment.replace(tzinfo=moment.tzinfo or UTC) - timedelta(days=1)).astimezone(UTC)
        (moment.replace(tzinfo=moment.tzinfo or UTC) + timedelta(days=1)).astimezone(UTC)
    except OverflowError:
        raise vol.Invalid(
            f"{moment.isoformat()} is too close to the end of the calendar "
            f"(dates run from {MIN_YEAR}-01-02 to {MAX_YEAR}-12-30)"
        ) from None
    return moment


def path(value: Any) -> str:
    """A file path or URL path: at most 1,024 bytes (the OS refuses longer names)."""
    text = string(value)
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_PATH_BYTES:
        raise vol.Invalid(f"expected a path of at most {MAX_PATH_BYTES} bytes, got {size}")
    return text


def nested(limit: int = MAX_NESTING) -> Callable[[Any], Any]:
    """A validator refusing a mapping or list nested deeper than `limit` levels."""

    def validate(value: Any) -> Any:
        found = too_deep(value, limit)
        if found is not None:
            raise vol.Invalid(describe_depth("value", found, limit))
        return value

    return validate
