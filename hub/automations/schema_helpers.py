"""Small validators the automation schemas and the trigger types share."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import voluptuous as vol

from hub import validation as cv

__all__ = ["list_of", "number_or_entity", "state_value", "state_values", "time_period_or_template"]


def list_of(item: Callable[[Any], Any]) -> Callable[[Any], list[Any]]:
    """A list (or one item) where every bad item is reported, each with its index.

    Voluptuous stops a list at the first item whose error lies deeper than the item itself;
    an owner with three broken automations should hear about all three at once.
    """

    def validate(value: Any) -> list[Any]:
        result: list[Any] = []
        errors: list[vol.Invalid] = []
        for index, entry in enumerate(cv.ensure_list(value)):
            try:
                result.append(item(entry))
            except vol.MultipleInvalid as err:
                for inner in err.errors:
                    inner.prepend([index])
                    errors.append(inner)
            except vol.Invalid as err:
                err.prepend([index])
                errors.append(err)
        if errors:
            raise vol.MultipleInvalid(errors)
        return result

    return validate


def state_value(value: Any) -> str:
    """A state to match: YAML turns a bare `on` into True, which means the state 'on'."""
    if isinstance(value, bool):
        return "on" if value else "off"
    return cv.string(value)


def state_values(value: Any) -> list[str]:
    return [state_value(item) for item in cv.ensure_list(value)]


def time_period_or_template(value: Any) -> Any:
    """A duration, or a template string that renders one when the run gets there."""
    if isinstance(value, str) and ("{{" in value or "{%" in value):
        return cv.template(value)
    if isinstance(value, dict) and any(
        isinstance(item, str) and "{{" in item for item in value.values()
    ):
        return {
            key: cv.template(item) if isinstance(item, str) else item for key, item in value.items()
        }
    return cv.time_period(value)


def number_or_entity(value: Any) -> float | str:
    """`above:`/`below:` take a number or the id of an entity holding one."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            pass
        try:
            return cv.entity_id(value)
        except vol.Invalid:
            pass
    raise vol.Invalid(f"expected a number or an entity id, got {cv.describe_value(value)}")
