"""The YAML shape of automations, conditions and actions, checked at load with file:line.

Home Assistant's shape: both `trigger/condition/action` and `triggers/conditions/actions`
are accepted, and a trigger names its type with `trigger:` (or the older `platform:`).
Each trigger, condition and action is dispatched on its type to that type's own schema, so
an error points at the key that is wrong (`automation.0.triggers.1.above: expected a
number`), and every broken automation is reported, not only the first.

Templates stay strings here (`hub.validation.template` checks their syntax); the engine
compiles them with the hub when it sets the automation up.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

import voluptuous as vol

from hub import validation as cv

from .const import (
    CONF_ACTIONS,
    CONF_ALIAS,
    CONF_CONDITIONS,
    CONF_CONTINUE_ON_ERROR,
    CONF_ENABLED,
    CONF_FOR,
    CONF_ID,
    CONF_MAX,
    CONF_MODE,
    CONF_TRIGGERS,
    CONF_VARIABLES,
    DEFAULT_MAX,
    MODE_SINGLE,
    MODES,
    WEEKDAYS,
)
from .schema_helpers import (
    list_of,
    number_or_entity,
    state_values,
    time_period_or_template,
)
from .triggers import TRIGGER_TYPES

__all__ = [
    "AUTOMATIONS_SCHEMA",
    "action_type",
    "actions_schema",
    "conditions_schema",
    "triggers_schema",
]

_SERVICE_RE = re.compile(r"^[a-z0-9_]+\.[a-z0-9_]+$")


def _dispatch(
    kind_key: str, types: Mapping[str, Callable[[Any], Any]], what: str, value: Any
) -> dict[str, Any]:
    kind = value.get(kind_key)
    schema = types.get(kind) if isinstance(kind, str) else None
    if schema is None:
        known = ", ".join(sorted(types))
        raise vol.Invalid(
            f"unknown {what} type {cv.describe_value(kind)} (expected one of: {known})",
            path=[kind_key],
        )
    return dict(schema(value))


# -- triggers --------------------------------------------------------------------------------


def trigger(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise vol.Invalid(f"expected a trigger mapping, got {cv.describe_value(value)}")
    if "platform" in value and "trigger" not in value:
        value = {("trigger" if key == "platform" else key): item for key, item in value.items()}
    schemas = {name: platform.schema for name, platform in TRIGGER_TYPES.items()}
    return _dispatch("trigger", schemas, "trigger", value)


triggers_schema = list_of(trigger)


# -- conditions ------------------------------------------------------------------------------

_CONDITION_BASE: dict[Any, Any] = {
    vol.Optional(CONF_ALIAS): cv.string,
    vol.Optional(CONF_ENABLED, default=True): cv.boolean,
}


def condition(value: Any) -> dict[str, Any]:
    if isinstance(value, str):  # the shorthand: a template that must render true
        return {"condition": "template", "value_template": cv.template(value), CONF_ENABLED: True}
    if not isinstance(value, dict):
        raise vol.Invalid(f"expected a condition mapping, got {cv.describe_value(value)}")
    for shorthand in ("and", "or", "not"):
        if "condition" not in value and shorthand in value:
            rest = {key: item for key, item in value.items() if key != shorthand}
            value = {"condition": shorthand, "conditions": value[shorthand], **rest}
    return _dispatch("condition", CONDITION_TYPES, "condition", value)


conditions_schema = list_of(condition)


def _above_or_below(value: dict[str, Any]) -> dict[str, Any]:
    if "above" not in value and "below" not in value:
        raise vol.Invalid("needs above:, below: or both")
    return value


def _weekdays(value: Any) -> list[str]:
    days = [cv.string(day).lower() for day in cv.ensure_list(value)]
    for index, day in enumerate(days):
        if day not in WEEKDAYS:
            raise vol.Invalid(f"unknown weekday {day!r} (expected {', '.join(WEEKDAYS)})", [index])
    return days


CONDITION_TYPES: dict[str, vol.Schema] = {
    kind: vol.Schema(schema, extra=vol.PREVENT_EXTRA)
    for kind, schema in {
        "and": {
            **_CONDITION_BASE,
            vol.Required("condition"): "and",
            vol.Required("conditions"): conditions_schema,
        },
        "or": {
            **_CONDITION_BASE,
            vol.Required("condition"): "or",
            vol.Required("conditions"): conditions_schema,
        },
        "not": {
            **_CONDITION_BASE,
            vol.Required("condition"): "not",
            vol.Required("conditions"): conditions_schema,
        },
        "state": {
            **_CONDITION_BASE,
            vol.Required("condition"): "state",
            vol.Required("entity_id"): cv.entity_ids,
            vol.Required("state"): state_values,
            vol.Optional("attribute"): cv.string,
            vol.Optional(CONF_FOR): time_period_or_template,
            vol.Optional("match", default="all"): vol.In(["all", "any"]),
        },
        "numeric_state": vol.All(
            {
                **_CONDITION_BASE,
                vol.Required("condition"): "numeric_state",
                vol.Required("entity_id"): cv.entity_ids,
                vol.Optional("attribute"): cv.string,
                vol.Optional("above"): number_or_entity,
                vol.Optional("below"): number_or_entity,
                vol.Optional("value_template"): cv.template,
            },
            _above_or_below,
        ),
        "template": {
            **_CONDITION_BASE,
            vol.Required("condition"): "template",
            vol.Required("value_template"): cv.template,
        },
        "time": {
            **_CONDITION_BASE,
            vol.Required("condition"): "time",
            vol.Optional("after"): cv.time_of_day,
            vol.Optional("before"): cv.time_of_day,
            vol.Optional("weekday"): _weekdays,
        },
        "trigger": {
            **_CONDITION_BASE,
            vol.Required("condition"): "trigger",
            vol.Required("id"): vol.All(cv.ensure_list, [cv.string]),
        },
    }.items()
}


# -- actions ---------------------------------------------------------------------------------

_ACTION_BASE: dict[Any, Any] = {
    vol.Optional(CONF_ALIAS): cv.string,
    vol.Optional(CONF_ENABLED, default=True): cv.boolean,
    vol.Optional(CONF_CONTINUE_ON_ERROR, default=False): cv.boolean,
}


def _service_name(value: Any) -> str:
    text = cv.string(value).strip()
    if "{{" in text:
        return cv.template(text)
    if not _SERVICE_RE.match(text):
        raise vol.Invalid(f"expected a service as domain.service (e.g. gate.open), got {text!r}")
    return text


def _template_complex(value: Any) -> Any:
    """Data and variables: any nesting, every template string syntax-checked."""
    if isinstance(value, str):
        return cv.template(value) if "{{" in value or "{%" in value else value
    if isinstance(value, dict):
        return {key: _template_complex(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_template_complex(item) for item in value]
    return value


def _mapping(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise vol.Invalid(f"expected a mapping, got {cv.describe_value(value)}")
    return dict(_template_complex(value))


def _sequence(value: Any) -> list[dict[str, Any]]:
    return actions_schema(value)


def _parallel_branch(value: Any) -> dict[str, Any]:
    if isinstance(value, dict) and "sequence" in value:
        return dict(vol.Schema({vol.Required("sequence"): _sequence})(value))
    return {"sequence": actions_schema([value])}


def _repeat(value: Any) -> dict[str, Any]:
    schema = vol.Schema(
        {
            vol.Exclusive("count", "repeat"): vol.Any(vol.Coerce(int), cv.template),
            vol.Exclusive("while", "repeat"): conditions_schema,
            vol.Exclusive("until", "repeat"): conditions_schema,
            vol.Exclusive("for_each", "repeat"): vol.Any(list, cv.template),
            vol.Required("sequence"): _sequence,
        },
        extra=vol.PREVENT_EXTRA,
    )
    result = dict(schema(value))
    if not {"count", "while", "until", "for_each"} & set(result):
        raise vol.Invalid("repeat needs one of count, while, until or for_each")
    return result


_WAIT: dict[Any, Any] = {
    vol.Optional("timeout"): time_period_or_template,
    vol.Optional("continue_on_timeout", default=True): cv.boolean,
}

_ACTION_KEYS: dict[str, dict[Any, Any]] = {
    "service": {
        vol.Required("action"): _service_name,
        vol.Optional("target"): _mapping,
        vol.Optional("data"): _mapping,
        vol.Optional("response_variable"): cv.string,
    },
    "delay": {vol.Required("delay"): time_period_or_template},
    "wait_template": {vol.Required("wait_template"): cv.template, **_WAIT},
    "wait_for_trigger": {vol.Required("wait_for_trigger"): triggers_schema, **_WAIT},
    "choose": {
        vol.Required("choose"): list_of(
            vol.Schema(
                {
                    vol.Required("conditions"): conditions_schema,
                    vol.Required("sequence"): _sequence,
                    vol.Optional(CONF_ALIAS): cv.string,
                },
                extra=vol.PREVENT_EXTRA,
            )
        ),
        vol.Optional("default"): _sequence,
    },
    "if": {
        vol.Required("if"): conditions_schema,
        vol.Required("then"): _sequence,
        vol.Optional("else"): _sequence,
    },
    "repeat": {vol.Required("repeat"): _repeat},
    "variables": {vol.Required("variables"): _mapping},
    "parallel": {vol.Required("parallel"): list_of(_parallel_branch)},
    "event": {vol.Required("event"): cv.string, vol.Optional("event_data"): _mapping},
    "stop": {vol.Required("stop"): cv.string, vol.Optional("error", default=False): cv.boolean},
    "condition": {vol.Required("condition"): object, vol.Extra: object},
}

ACTION_TYPES: dict[str, vol.Schema] = {
    kind: vol.Schema({**_ACTION_BASE, **keys}, extra=vol.PREVENT_EXTRA)
    for kind, keys in _ACTION_KEYS.items()
}


def action_type(config: dict[str, Any]) -> str | None:
    """Which kind of step a mapping is, from the key that names it."""
    if "action" in config or "service" in config:
        return "service"
    for kind in ACTION_TYPES:
        if kind in config:
            return kind
    return None


def action(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise vol.Invalid(f"expected an action mapping, got {cv.describe_value(value)}")
    if "service" in value and "action" not in value:
        value = {("action" if key == "service" else key): item for key, item in value.items()}
    value = dict(value)
    kind = action_type(value)
    if kind is None:
        raise vol.Invalid(
            "unknown action: expected one of action (a service), "
            + ", ".join(list(ACTION_TYPES)[1:])
        )
    if kind == "condition":
        base = {key: value.pop(key) for key in list(value) if key in ("continue_on_error",)}
        checked = condition(value)
        return {**checked, CONF_CONTINUE_ON_ERROR: cv.boolean(base.get("continue_on_error", False))}
    return dict(ACTION_TYPES[kind](value))


actions_schema = list_of(action)


# -- automations -----------------------------------------------------------------------------

_PLURALS = {"trigger": CONF_TRIGGERS, "condition": CONF_CONDITIONS, "action": CONF_ACTIONS}


def _merge_plurals(value: dict[str, Any]) -> dict[str, Any]:
    """`trigger:` and `triggers:` mean the same; keep one name inside the engine."""
    result = {_PLURALS.get(key, key): item for key, item in value.items()}
    for key in (CONF_TRIGGERS, CONF_ACTIONS):
        if key not in result:
            raise vol.Invalid(f"required key not provided: {key}", path=[key])
    return result


AUTOMATION_SCHEMA = vol.All(
    vol.Schema(
        {
            vol.Optional(CONF_ID): vol.All(cv.string, cv.slug),
            vol.Optional(CONF_ALIAS): cv.string,
            vol.Optional("description"): cv.string,
            vol.Optional("initial_state"): cv.boolean,
            vol.Optional(CONF_MODE, default=MODE_SINGLE): vol.In(
                MODES, msg=f"expected one of {', '.join(MODES)}"
            ),
            vol.Optional(CONF_MAX, default=DEFAULT_MAX): cv.positive_int,
            vol.Optional(CONF_VARIABLES): _mapping,
            vol.Exclusive("trigger", "triggers"): triggers_schema,
            vol.Exclusive(CONF_TRIGGERS, "triggers"): triggers_schema,
            vol.Exclusive("condition", "conditions"): conditions_schema,
            vol.Exclusive(CONF_CONDITIONS, "conditions"): conditions_schema,
            vol.Exclusive("action", "actions"): actions_schema,
            vol.Exclusive(CONF_ACTIONS, "actions"): actions_schema,
        },
        extra=vol.PREVENT_EXTRA,
    ),
    _merge_plurals,
)

AUTOMATIONS_SCHEMA = list_of(AUTOMATION_SCHEMA)
