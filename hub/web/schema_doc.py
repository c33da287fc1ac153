"""Voluptuous schemas as JSON Schema (OpenAPI 3.1), through `voluptuous-openapi`.

The same converter Home Assistant uses, so the schemas that validate service data and
REST bodies are also what `/api/services` and `/api/openapi.json` describe: there is no
second copy to drift. The hub's own validators (`hub.validation`) are named here, since
a function says nothing about what it accepts; any other callable the converter cannot
read becomes `{}` (anything), never an error, so one odd validator cannot break the docs.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable, Mapping
from datetime import timedelta
from inspect import isroutine
from typing import Any, Final, TypeVar, get_type_hints

import voluptuous as vol
import voluptuous_openapi as vo

from hub import validation as cv
from hub.core.json import json_bytes
from hub.entity_services import entity_ids_or_all

__all__ = ["documented", "field_selector", "service_fields", "to_json_schema"]

_LOGGER = logging.getLogger(__name__)
_F = TypeVar("_F", bound=Callable[..., Any])
# The attribute `documented` puts on a validator function.
_DOC_ATTR: Final = "__vol_doc__"

_PERIOD: Final[dict[str, Any]] = {
    "anyOf": [
        {"type": "number", "description": "seconds"},
        {"type": "string", "description": '"90", "1m 30s" or "00:01:30"'},
        {
            "type": "object",
            "properties": {k: {"type": "number"} for k in ("days", "hours", "minutes", "seconds")},
        },
    ]
}
_ENTITY_ID: Final[dict[str, Any]] = {
    "type": "string",
    "pattern": r"^[a-z0-9_]+\.[a-z0-9_]+$",
    "description": "an entity id, <domain>.<object_id>",
}
_KNOWN: Final[dict[Callable[..., Any], dict[str, Any]]] = {
    cv.string: {"type": "string"},
    cv.boolean: {"type": "boolean"},
    cv.positive_int: {"type": "integer", "minimum": 1},
    cv.port: {"type": "integer", "minimum": 1, "maximum": 65535},
    cv.slug: {"type": "string", "pattern": "^[a-z0-9_]+$"},
    cv.entity_id: _ENTITY_ID,
    cv.entity_ids: {"anyOf": [_ENTITY_ID, {"type": "array", "items": _ENTITY_ID}]},
    cv.time_period: _PERIOD,
    cv.positive_time_period: _PERIOD,
    cv.time_of_day: {"type": "string", "format": "time"},
    cv.time_zone: {"type": "string", "description": "an IANA time zone"},
    cv.url: {"type": "string", "format": "uri"},
    cv.template: {"type": "string", "description": "a Jinja2 template"},
    cv.polygon: {"type": "array", "items": {"type": "array", "items": {"type": "number"}}},
    entity_ids_or_all: {
        "anyOf": [_ENTITY_ID, {"type": "array", "items": _ENTITY_ID}, {"enum": ["all"]}]
    },
}


def documented(schema: Any) -> Callable[[_F], _F]:
    """Mark a validator function as accepting what `schema` describes.

    For a hand-written validator (a fast path in front of a full schema, or a check
    across keys) that the docs should show as the plain schema it stands for.
    """

    def mark(validator: _F) -> _F:
        setattr(validator, _DOC_ATTR, schema)
        return validator

    return mark


def _serializer(schema: Any) -> Any:
    """The hub's validators by name; a callable whose hints cannot be read is `{}`."""
    if (doc := getattr(schema, _DOC_ATTR, None)) is not None:
        return vo.convert(
            doc, custom_serializer=_serializer, openapi_version=vo.OpenApiVersion.V3_1
        )
    try:
        if schema in _KNOWN:
            return copy.deepcopy(_KNOWN[schema])  # the converter edits what it gets
    except TypeError:  # unhashable (a dict or list schema): the converter's own job
        return vo.UNSUPPORTED
    if isroutine(schema) and schema not in (vol.Lower, vol.Upper, vol.Strip):
        try:
            get_type_hints(schema)
        except Exception:  # a hint naming something imported only for type checking
            return {}
    return vo.UNSUPPORTED


def _plain(value: Any) -> Any:
    """A default as JSON can carry it (durations as seconds), or None when it cannot."""
    if isinstance(value, timedelta):
        return value.total_seconds()
    try:
        json_bytes(value)
    except TypeError:
        return None
    return value


def _clean(node: Any) -> Any:
    """Drop defaults JSON cannot carry, walking the whole converted schema."""
    if isinstance(node, dict):
        cleaned = {}
        for key, value in node.items():
            if key == "default":
                value = _plain(value)
                if value is None:
                    continue
            cleaned[key] = _clean(value)
        return cleaned
    if isinstance(node, list):
        return [_clean(item) for item in node]
    return node


def to_json_schema(schema: Any) -> dict[str, Any]:
    """A voluptuous schema (or validator) as an OpenAPI 3.1 schema object.

    A schema the converter gives up on is described as `{}` (any value) with a warning:
    documentation must never turn a working route into a 500.
    """
    try:
        converted = vo.convert(
            schema, custom_serializer=_serializer, openapi_version=vo.OpenApiVersion.V3_1
        )
    except Exception as err:
        _LOGGER.warning("Cannot describe schema %r: %s", schema, err)
        return {}
    result: dict[str, Any] = _clean(converted)
    return result


def field_selector(field: Mapping[str, Any]) -> dict[str, Any] | None:
    """The Home Assistant selector a form would draw for a field's JSON schema."""
    if field.get("pattern") == _ENTITY_ID["pattern"] or field.get("anyOf", [None])[0] == _ENTITY_ID:
        return {"entity": {"multiple": "anyOf" in field}}
    kind = field.get("type")
    if "enum" in field:
        return {"select": {"options": [str(option) for option in field["enum"]]}}
    if kind == "boolean":
        return {"boolean": {}}
    if kind in ("integer", "number"):
        limits = {key: field[key] for key in ("minimum", "maximum") if key in field}
        return {
            "number": {"min": limits.get("minimum"), "max": limits.get("maximum"), "mode": "box"}
        }
    if kind == "string":
        return {"text": {}}
    if kind == "object":
        return {"object": {}}
    return None


def service_fields(schema: vol.Schema | None) -> dict[str, dict[str, Any]]:
    """A service's fields in Home Assistant's `/api/services` shape.

    Each field has `required`, `description` when the schema gives one, `default`, a
    `selector` (what HA's frontend draws), and `schema`, the field's full JSON schema.
    Schemas wrapped in `vol.All(...)` are described through the dict inside them.
    """
    if schema is None:
        return {}
    converted = to_json_schema(schema)
    properties: dict[str, dict[str, Any]] = converted.get("properties") or {}
    if not properties and "allOf" in converted:
        for part in converted["allOf"]:
            properties.update(part.get("properties") or {})
    required = set(converted.get("required") or ())
    for part in converted.get("allOf", ()):
        required.update(part.get("required") or ())
    fields: dict[str, dict[str, Any]] = {}
    for name, prop in properties.items():
        field: dict[str, Any] = {"required": name in required}
        if "description" in prop:
            field["description"] = prop["description"]
        if "default" in prop:
            field["default"] = prop["default"]
        if (selector := field_selector(prop)) is not None:
            field["selector"] = selector
        field["schema"] = prop
        fields[name] = field
    return fields
