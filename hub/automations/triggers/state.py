"""`state` and `numeric_state` triggers: an entity changing, or crossing a threshold.

Both watch only their own entities (`hub.states.async_track`, a dict lookup per change), so
a thousand automations on a thousand entities cost nothing on the one change that matters
to none of them. With `for:` the match must hold that long; a change that breaks it cancels.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import voluptuous as vol

from hub import validation as cv
from hub.core.bus import CALLBACK_TYPE, Event
from hub.core.context import Context
from hub.core.states import State
from hub.template import Template, TemplateError

from ..schema_helpers import number_or_entity, state_values, time_period_or_template
from .base import TRIGGER_BASE, TriggerAction, TriggerInfo, TriggerType

if TYPE_CHECKING:
    from hub.core.hub import Hub

__all__ = ["TRIGGERS", "fire_now_or_after", "numeric_value", "render_period"]

_LOGGER = logging.getLogger(__name__)

_MISSING: Any = object()


def render_period(hub: Hub, value: Any, variables: dict[str, Any]) -> timedelta:
    """A `for:`/`delay:`/`timeout:` value as a timedelta, rendering templates first."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, dict):
        value = {
            key: Template(item, hub).async_render(variables) if isinstance(item, str) else item
            for key, item in value.items()
        }
    elif isinstance(value, str):
        value = Template(value, hub).async_render(variables)
    try:
        return cv.time_period(value)
    except vol.Invalid as err:
        raise TemplateError(str(value), f"not a duration: {err.msg}") from None


def fire_now_or_after(
    hub: Hub,
    info: TriggerInfo,
    kind: str,
    period: Any,
    data: dict[str, Any],
    context: Context | None,
    action: TriggerAction,
    wait_then: Callable[[timedelta, Callable[[], None]], None],
) -> None:
    """Fire a matched trigger now, or, with `for:`, hand `wait_then` the period and the firing.

    The period may be a template over the trigger's data; one that fails to render is
    logged (once until it renders again) and the match is dropped. `data["for"]` is set
    either way.
    """
    if period is None:
        data["for"] = None
        action(data, context)
        return
    try:
        wait = render_period(hub, period, {**info.variables, "trigger": data})
    except TemplateError as err:
        info.log_error("for", f"{kind} trigger for: {err}")
        return
    data["for"] = wait
    wait_then(wait, lambda: action(data, context))


def numeric_value(
    hub: Hub, state: State | None, attribute: str | None, template: Template | None
) -> float | None:
    """The number a numeric_state trigger or condition compares, or None if there is none."""
    if state is None:
        return None
    value: Any
    if template is not None:
        value = template.async_render({"state": state})
    elif attribute is not None:
        value = state.attributes.get(attribute)
    else:
        value = state.state
    if value is None or isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def threshold(hub: Hub, limit: float | str | None) -> float | None:
    """A fixed number, or the number an entity holds now."""
    if limit is None or isinstance(limit, float):
        return limit
    state = hub.states.get(limit)
    try:
        return float(state.state) if state is not None else None
    except ValueError:
        return None


def in_range(value: float | None, above: float | None, below: float | None) -> bool:
    if value is None:
        return False
    if above is not None and not value > above:
        return False
    return below is None or value < below


class _ForTimers:
    """One pending `for:` timer per entity.

    A change that breaks a pending match must cancel it, whatever state it goes to. A
    trigger whose tracker only lets its wanted states through (`watch_pending`) gets an
    unfiltered watch on an entity while, and only while, that entity's timer runs; so the
    thousand `for:` triggers that wait for nothing cost no more than plain `to:` triggers.
    """

    def __init__(self, hub: Hub, attribute: str | None = None, watch_pending: bool = False) -> None:
        self._hub = hub
        self._attribute = attribute
        self._watch_pending = watch_pending
        self.waiting: dict[str, tuple[CALLBACK_TYPE, Any]] = {}
        self._watches: dict[str, CALLBACK_TYPE] = {}

    def start(
        self, entity_id: str, period: timedelta, matched: Any, fire: Callable[[], None]
    ) -> None:
        self.cancel(entity_id)

        def done(_now: Any) -> None:
            self.waiting.pop(entity_id, None)
            self._unwatch(entity_id)
            fire()

        self.waiting[entity_id] = (self._hub.scheduler.async_call_later(period, done), matched)
        if self._watch_pending:
            self._watches[entity_id] = self._hub.states.async_track(entity_id, self._on_change)

    def _on_change(self, event: Event) -> None:
        entity_id: str = event.data["entity_id"]
        pending = self.matched(entity_id)
        if pending is not _MISSING and _value(event.data["new_state"], self._attribute) != pending:
            self.cancel(entity_id)

    def _unwatch(self, entity_id: str) -> None:
        unwatch = self._watches.pop(entity_id, None)
        if unwatch is not None:
            unwatch()

    def matched(self, entity_id: str) -> Any:
        pending = self.waiting.get(entity_id)
        return _MISSING if pending is None else pending[1]

    def cancel(self, entity_id: str) -> None:
        pending = self.waiting.pop(entity_id, None)
        if pending is not None:
            pending[0]()
            self._unwatch(entity_id)

    def cancel_all(self) -> None:
        for entity_id in list(self.waiting):
            self.cancel(entity_id)

    def track(
        self,
        entity_ids: list[str],
        on_change: Callable[[Event], None],
        *,
        from_states: frozenset[str] | None = None,
        to_states: frozenset[str] | None = None,
    ) -> CALLBACK_TYPE:
        """Watch the trigger's entities; the returned remove drops pending timers too."""
        untrack = self._hub.states.async_track(
            entity_ids, on_change, from_states=from_states, to_states=to_states
        )

        def remove() -> None:
            untrack()
            self.cancel_all()

        return remove


# -- state -----------------------------------------------------------------------------------

STATE_SCHEMA = vol.Schema(
    {
        **TRIGGER_BASE,
        vol.Required("entity_id"): cv.entity_ids,
        vol.Optional("from"): vol.Any(None, state_values),
        vol.Optional("to"): vol.Any(None, state_values),
        vol.Optional("not_from"): state_values,
        vol.Optional("not_to"): state_values,
        vol.Optional("attribute"): cv.string,
        vol.Optional("for"): time_period_or_template,
    },
    extra=vol.PREVENT_EXTRA,
)


def _value(state: State | None, attribute: str | None) -> Any:
    if state is None:
        return None
    return state.attributes.get(attribute) if attribute is not None else state.state


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "on" if value else "off"
    return str(value)


async def _attach_state(
    hub: Hub, config: dict[str, Any], action: TriggerAction, info: TriggerInfo
) -> CALLBACK_TYPE:
    attribute: str | None = config.get("attribute")
    # Matchers are sets built once here, not lists searched on every change.
    from_states = _matcher(config.get("from"))
    to_states = _matcher(config.get("to"))
    not_from = _matcher(config.get("not_from")) or frozenset()
    not_to = _matcher(config.get("not_to")) or frozenset()
    period = config.get("for")
    # With no from/to, an attribute change of a watched state counts too (like HA).
    any_change = attribute is None and from_states is None and to_states is None
    # Only changes from or into the wanted states reach `on_change`; with `for:`, the
    # timers watch everything else while a match is pending (see `_ForTimers`).
    prefilter = attribute is None
    timers = _ForTimers(hub, attribute, watch_pending=prefilter and period is not None)
    waiting = timers.waiting  # read directly: this runs on every change of the entity

    def on_change(event: Event) -> None:
        changed = event.data
        new: State | None = changed["new_state"]
        if waiting:
            pending = timers.matched(changed["entity_id"])
            if pending is not _MISSING and _value(new, attribute) != pending:
                timers.cancel(changed["entity_id"])
        if new is None:
            return
        old: State | None
        old_value: Any
        new_value: Any
        old_text: str | None
        new_text: str | None
        if attribute is None:  # the usual trigger: plain states, already text
            new_value = new_text = new.state
            if to_states is not None and new_text not in to_states:
                return  # the common case, kept cheap: a change to a state nobody waits for
            old = changed["old_state"]
            old_value = old_text = old.state if old is not None else None
            if not any_change and old_text == new_text:
                return
        else:
            old = changed["old_state"]
            old_value, new_value = _value(old, attribute), new.attributes.get(attribute)
            if not any_change and old_value == new_value:
                return
            old_text, new_text = _text(old_value), _text(new_value)
            if to_states is not None and new_text not in to_states:
                return
        if from_states is not None and old_text not in from_states:
            return
        if old_text in not_from or new_text in not_to:
            return
        entity_id: str = changed["entity_id"]
        data: dict[str, Any] = {
            "entity_id": entity_id,
            "from_state": old,
            "to_state": new,
            "attribute": attribute,
            "description": f"state of {entity_id}",
        }
        fire_now_or_after(
            hub,
            info,
            "state",
            period,
            data,
            event.context,
            action,
            lambda wait, fire: timers.start(entity_id, wait, new_value, fire),
        )

    return timers.track(
        config["entity_id"],
        on_change,
        from_states=from_states if prefilter else None,
        to_states=to_states if prefilter else None,
    )


def _matcher(values: list[str] | None) -> frozenset[str] | None:
    return None if values is None else frozenset(values)


# -- numeric_state ---------------------------------------------------------------------------


def _above_or_below(value: dict[str, Any]) -> dict[str, Any]:
    if "above" not in value and "below" not in value:
        raise vol.Invalid("needs above:, below: or both")
    return value


NUMERIC_STATE_SCHEMA = vol.All(
    vol.Schema(
        {
            **TRIGGER_BASE,
            vol.Required("entity_id"): cv.entity_ids,
            vol.Optional("above"): number_or_entity,
            vol.Optional("below"): number_or_entity,
            vol.Optional("attribute"): cv.string,
            vol.Optional("value_template"): cv.template,
            vol.Optional("for"): time_period_or_template,
        },
        extra=vol.PREVENT_EXTRA,
    ),
    _above_or_below,
)


async def _attach_numeric_state(
    hub: Hub, config: dict[str, Any], action: TriggerAction, info: TriggerInfo
) -> CALLBACK_TYPE:
    attribute: str | None = config.get("attribute")
    template = Template(config["value_template"], hub) if "value_template" in config else None
    period = config.get("for")
    timers = _ForTimers(hub)

    def matches(state: State | None) -> bool:
        try:
            value = numeric_value(hub, state, attribute, template)
        except TemplateError as err:
            info.log_error("value_template", f"numeric_state value_template: {err}")
            return False
        above = threshold(hub, config.get("above"))
        below = threshold(hub, config.get("below"))
        return in_range(value, above, below)

    # Already in range when attached: it fires only after leaving the range and coming back.
    armed = {entity_id: not matches(hub.states.get(entity_id)) for entity_id in config["entity_id"]}

    def on_change(event: Event) -> None:
        entity_id: str = event.data["entity_id"]
        new: State | None = event.data["new_state"]
        if not matches(new):
            armed[entity_id] = True
            timers.cancel(entity_id)
            return
        if not armed.get(entity_id, True):
            return
        armed[entity_id] = False
        data: dict[str, Any] = {
            "entity_id": entity_id,
            "from_state": event.data["old_state"],
            "to_state": new,
            "above": config.get("above"),
            "below": config.get("below"),
            "description": f"numeric state of {entity_id}",
        }
        fire_now_or_after(
            hub,
            info,
            "numeric_state",
            period,
            data,
            event.context,
            action,
            lambda wait, fire: timers.start(entity_id, wait, True, fire),
        )

    return timers.track(config["entity_id"], on_change)


TRIGGERS = {
    "state": TriggerType(STATE_SCHEMA, _attach_state),
    "numeric_state": TriggerType(NUMERIC_STATE_SCHEMA, _attach_numeric_state),
}
