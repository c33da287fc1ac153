"""Conditions: checks built once from config, evaluated on the loop for each run.

`build_condition(hub, config)` returns a `Condition`; `condition.check(variables, trace,
path)` answers True or False and records its result (and any error) in the run's trace at
`path` (`condition/0`, `condition/0/conditions/1`, ...). A condition that cannot be
evaluated (a template error, a missing number) is False, with the error in the trace and
the log, and the hub carries on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime, time
from typing import TYPE_CHECKING, Any

from hub.core.exceptions import HubError
from hub.template import Template, TemplateError

from .const import WEEKDAYS
from .trace import Trace
from .triggers import truthy
from .triggers.state import numeric_value, render_period, threshold

if TYPE_CHECKING:
    from hub.core.hub import Hub

__all__ = ["Condition", "ConditionError", "build_condition", "build_conditions"]

_LOGGER = logging.getLogger(__name__)

Test = Callable[[Mapping[str, Any], Trace | None, str], bool]


class ConditionError(HubError):
    """A condition could not be evaluated; it counts as not met."""


class Condition:
    """One condition: a test plus what the trace needs to show it."""

    __slots__ = ("_test", "config", "enabled", "name")

    def __init__(self, config: Mapping[str, Any], test: Test, name: str) -> None:
        self.config = config
        self.enabled = bool(config.get("enabled", True))
        self._test = test
        self.name = name

    def check(self, variables: Mapping[str, Any], trace: Trace | None, path: str) -> bool:
        if not self.enabled:
            return True
        try:
            result = self._test(variables, trace, path)
        except (ConditionError, TemplateError) as err:
            _LOGGER.warning("%s: condition %s: %s", self.name, path, err)
            if trace is not None:
                trace.condition(path, False, str(err))
            return False
        if trace is not None:
            trace.condition(path, result)
        return result


def build_conditions(hub: Hub, configs: list[dict[str, Any]], name: str) -> Condition:
    """All of `configs` must hold (the `conditions:` list of an automation or a branch)."""
    return build_condition(hub, {"condition": "and", "conditions": configs}, name, nested=True)


def build_condition(
    hub: Hub, config: Mapping[str, Any], name: str, *, nested: bool = False
) -> Condition:
    kind = config["condition"]
    if kind in ("and", "or", "not"):
        children = [build_condition(hub, child, name) for child in config["conditions"]]
        return Condition(config, _group(kind, children, nested), name)
    builder = _BUILDERS[kind]
    return Condition(config, builder(hub, config), name)


def _group(kind: str, children: list[Condition], top: bool) -> Test:
    """and/or/not over child conditions; a top-level list records each child as its own."""

    def test(variables: Mapping[str, Any], trace: Trace | None, path: str) -> bool:
        prefix = "condition" if top else f"{path}/conditions"
        for index, child in enumerate(children):
            result = child.check(variables, trace, f"{prefix}/{index}")
            if kind == "and" and not result:
                return False
            if kind == "or" and result:
                return True
            if kind == "not" and result:
                return False
        return kind != "or"

    return test


def _state(hub: Hub, config: Mapping[str, Any]) -> Test:
    wanted: list[str] = config["state"]
    attribute: str | None = config.get("attribute")
    period = config.get("for")
    match_any = config.get("match") == "any"

    def one(entity_id: str, variables: Mapping[str, Any]) -> bool:
        state = hub.states.get(entity_id)
        if state is None:
            return False
        value = state.attributes.get(attribute) if attribute else state.state
        if isinstance(value, bool):
            value = "on" if value else "off"
        if str(value) not in wanted:
            return False
        if period is None:
            return True
        held = render_period(hub, period, dict(variables))
        return hub.scheduler.timestamp() - state.last_changed_timestamp >= held.total_seconds()

    def test(variables: Mapping[str, Any], _trace: Trace | None, _path: str) -> bool:
        results = (one(entity_id, variables) for entity_id in config["entity_id"])
        return any(results) if match_any else all(results)

    return test


def _numeric_state(hub: Hub, config: Mapping[str, Any]) -> Test:
    attribute: str | None = config.get("attribute")
    template = Template(config["value_template"], hub) if "value_template" in config else None

    def test(variables: Mapping[str, Any], _trace: Trace | None, _path: str) -> bool:
        for entity_id in config["entity_id"]:
            state = hub.states.get(entity_id)
            value = numeric_value(hub, state, attribute, template)
            if value is None:
                raise ConditionError(f"{entity_id} has no numeric value")
            above = threshold(hub, config.get("above"))
            below = threshold(hub, config.get("below"))
            if above is None and config.get("above") is not None:
                raise ConditionError(f"above: {config['above']} has no numeric value")
            if below is None and config.get("below") is not None:
                raise ConditionError(f"below: {config['below']} has no numeric value")
            if above is not None and not value > above:
                return False
            if below is not None and not value < below:
                return False
        return True

    return test


def _template(hub: Hub, config: Mapping[str, Any]) -> Test:
    template = Template(config["value_template"], hub)

    def test(variables: Mapping[str, Any], _trace: Trace | None, _path: str) -> bool:
        return truthy(template.async_render(variables))

    return test


def _time(hub: Hub, config: Mapping[str, Any]) -> Test:
    after: time | None = config.get("after")
    before: time | None = config.get("before")
    weekdays: list[str] | None = config.get("weekday")

    def test(_variables: Mapping[str, Any], _trace: Trace | None, _path: str) -> bool:
        now: datetime = hub.scheduler.utcnow().astimezone(hub.time_zone)
        clock = now.time().replace(tzinfo=None)
        if weekdays is not None and WEEKDAYS[now.weekday()] not in weekdays:
            return False
        if after is not None and before is not None and after > before:
            return clock >= after or clock < before  # the window crosses midnight
        if after is not None and clock < after:
            return False
        return before is None or clock < before

    return test


def _trigger(hub: Hub, config: Mapping[str, Any]) -> Test:
    ids: list[str] = config["id"]

    def test(variables: Mapping[str, Any], _trace: Trace | None, _path: str) -> bool:
        trigger = variables.get("trigger")
        return isinstance(trigger, Mapping) and trigger.get("id") in ids

    return test


_BUILDERS: dict[str, Callable[[Hub, Mapping[str, Any]], Test]] = {
    "state": _state,
    "numeric_state": _numeric_state,
    "template": _template,
    "time": _time,
    "trigger": _trigger,
}
