"""Actions: an automation's `actions:` compiled once into steps, run on the loop per trigger.

`Script(hub, configs, name)` builds the steps (templates compiled once); `await
script.async_run(run)` runs them with the run's variables, context and trace. Each step is
traced at its path (`action/0`, `action/1/then/0`, ...) with start, duration, result or
error. A failing step stops the run with `ScriptError` unless it says
`continue_on_error: true`; `stop:` ends it early, `condition:` ends it when false.
Delays and waits go through the hub's clock, so tests move time instead of sleeping.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from hub.core.exceptions import HubError
from hub.template import Template, compile_complex, render_complex

from .conditions import build_condition, build_conditions
from .run import ConditionFailed, Run, ScriptError, StepBody, StopRun
from .schema import action_type
from .waits import WAIT_BUILDERS

if TYPE_CHECKING:
    from hub.core.hub import Hub

__all__ = ["ConditionFailed", "Run", "Script", "ScriptError", "StopRun"]

_LOGGER = logging.getLogger(__name__)


class _Step:
    __slots__ = ("alias", "body", "continue_on_error", "enabled", "kind")

    def __init__(self, kind: str, config: Mapping[str, Any], body: StepBody) -> None:
        self.kind = kind
        self.alias: str | None = config.get("alias")
        self.enabled = bool(config.get("enabled", True))
        self.continue_on_error = bool(config.get("continue_on_error", False))
        self.body = body

    async def run(self, run: Run, path: str) -> None:
        trace = run.trace
        step = trace.step_start(path, self.kind, self.alias) if trace is not None else None
        try:
            result = await self.body(run, path)
        except (StopRun, ConditionFailed) as signal:
            if step is not None and trace is not None:
                trace.step_end(step, {"stopped": str(signal)} if str(signal) else None)
            raise
        except (HubError, ValueError, TypeError) as err:
            message = str(err) or type(err).__name__
            if step is not None and trace is not None:
                trace.step_end(step, error=message)
            if self.continue_on_error and not isinstance(err, ScriptError):
                _LOGGER.info("%s: %s failed, continuing: %s", run.name, path, message)
                return
            if isinstance(err, ScriptError):
                raise
            raise ScriptError(f"{path} ({self.kind}): {message}") from err
        if step is not None and trace is not None:
            trace.step_end(step, result)


class Script:
    """A sequence of steps."""

    def __init__(self, hub: Hub, configs: list[dict[str, Any]], name: str) -> None:
        self.hub = hub
        self.name = name
        self.steps = [_build(hub, config, name) for config in configs]

    async def async_run(self, run: Run, prefix: str = "action") -> None:
        for index, step in enumerate(self.steps):
            if step.enabled:
                await step.run(run, f"{prefix}/{index}")


def _build(hub: Hub, config: dict[str, Any], name: str) -> _Step:
    kind = action_type(config)
    if kind is None:
        raise HubError(f"{name}: unknown action {config!r}")
    return _Step(kind, config, _BUILDERS[kind](hub, config, name))


# -- the step kinds ----------------------------------------------------------------------------


def _service(hub: Hub, config: dict[str, Any], name: str) -> StepBody:
    target = compile_complex(config.get("target") or {}, hub)
    data = compile_complex(config.get("data") or {}, hub)
    service_name = compile_complex(config["action"], hub)
    response_variable: str | None = config.get("response_variable")

    async def body(run: Run, _path: str) -> Any:
        variables = run.variables
        full = service_name
        if isinstance(full, Template):
            full = str(full.async_render(variables, parse_result=False)).strip()
        domain, _, service = full.partition(".")
        payload = render_complex(data, hub, variables) if data else {}
        if target:
            payload = {**payload, **render_complex(target, hub, variables)}
        result = await hub.services.async_call(
            domain, service, payload, context=run.context, blocking=True
        )
        if response_variable:
            variables[response_variable] = result
        return {"service": full, "data": payload}

    return body


def _choose(hub: Hub, config: dict[str, Any], name: str) -> StepBody:
    options = [
        (build_conditions(hub, option["conditions"], name), Script(hub, option["sequence"], name))
        for option in config["choose"]
    ]
    default = Script(hub, config["default"], name) if config.get("default") else None

    async def body(run: Run, path: str) -> Any:
        for index, (condition, script) in enumerate(options):
            if condition.check(run.variables, run.trace, f"{path}/choose/{index}"):
                await script.async_run(run, f"{path}/choose/{index}/sequence")
                return {"choice": index}
        if default is not None:
            await default.async_run(run, f"{path}/default")
            return {"choice": "default"}
        return {"choice": None}

    return body


def _if(hub: Hub, config: dict[str, Any], name: str) -> StepBody:
    condition = build_conditions(hub, config["if"], name)
    then = Script(hub, config["then"], name)
    otherwise = Script(hub, config["else"], name) if config.get("else") else None

    async def body(run: Run, path: str) -> Any:
        if condition.check(run.variables, run.trace, f"{path}/if"):
            await then.async_run(run, f"{path}/then")
            return {"choice": "then"}
        if otherwise is not None:
            await otherwise.async_run(run, f"{path}/else")
            return {"choice": "else"}
        return {"choice": None}

    return body


def _repeat(hub: Hub, config: dict[str, Any], name: str) -> StepBody:
    repeat = config["repeat"]
    script = Script(hub, repeat["sequence"], name)
    while_ = build_conditions(hub, repeat["while"], name) if "while" in repeat else None
    until = build_conditions(hub, repeat["until"], name) if "until" in repeat else None

    async def body(run: Run, path: str) -> Any:
        items: list[Any] | None = None
        if "count" in repeat:
            count = repeat["count"]
            if isinstance(count, str):
                count = Template(count, hub).async_render(run.variables)
            items = list(range(1, int(count) + 1))
        elif "for_each" in repeat:
            each = repeat["for_each"]
            items = render_complex(each, hub, run.variables)
            if not isinstance(items, list):
                raise ScriptError(f"{path}: for_each needs a list, got {items!r}")
        outer = run.variables.get("repeat")
        index = 0
        try:
            while True:
                index += 1
                if items is not None and index > len(items):
                    break
                state: dict[str, Any] = {"index": index, "first": index == 1}
                if items is not None:
                    state["last"] = index == len(items)
                    if "for_each" in repeat:
                        state["item"] = items[index - 1]
                run.variables["repeat"] = state
                if while_ is not None and not while_.check(
                    run.variables, run.trace, f"{path}/while"
                ):
                    break
                await script.async_run(run, f"{path}/sequence")
                if until is not None and until.check(run.variables, run.trace, f"{path}/until"):
                    break
                await asyncio.sleep(0)  # a tight while loop must not starve the hub
        finally:
            if outer is None:
                run.variables.pop("repeat", None)
            else:
                run.variables["repeat"] = outer
        return {"iterations": index - 1 if items is None or index > len(items) else index}

    return body


def _variables(hub: Hub, config: dict[str, Any], name: str) -> StepBody:
    values = compile_complex(config["variables"], hub)

    async def body(run: Run, _path: str) -> Any:
        for key, value in values.items():
            run.variables[key] = render_complex(value, hub, run.variables)
        return {"variables": list(values)}

    return body


def _parallel(hub: Hub, config: dict[str, Any], name: str) -> StepBody:
    branches = [Script(hub, branch["sequence"], name) for branch in config["parallel"]]

    async def body(run: Run, path: str) -> Any:
        # Each branch is its own tracked task; this one only waits for them.
        tasks = [
            hub.async_create_task(
                branch.async_run(run.branch(), f"{path}/parallel/{index}"), f"{name} branch"
            )
            for index, branch in enumerate(branches)
        ]
        try:
            results = await hub.async_await_untracked(
                asyncio.gather(*tasks, return_exceptions=True)
            )
        except asyncio.CancelledError:
            for task in tasks:
                task.cancel()
            raise
        for result in results:
            if isinstance(result, BaseException):
                raise result
        return {"branches": len(branches)}

    return body


def _event(hub: Hub, config: dict[str, Any], name: str) -> StepBody:
    data = compile_complex(config.get("event_data") or {}, hub)

    async def body(run: Run, _path: str) -> Any:
        payload = render_complex(data, hub, run.variables)
        hub.bus.async_fire(config["event"], payload, context=run.context)
        return {"event": config["event"], "data": payload}

    return body


def _stop(hub: Hub, config: dict[str, Any], name: str) -> StepBody:
    async def body(run: Run, _path: str) -> Any:
        if config.get("error"):
            raise ScriptError(f"stopped: {config['stop']}")
        raise StopRun(config["stop"])

    return body


def _condition(hub: Hub, config: dict[str, Any], name: str) -> StepBody:
    condition = build_condition(hub, config, name)

    async def body(run: Run, path: str) -> Any:
        if not condition.check(run.variables, run.trace, path):
            raise ConditionFailed("")
        return {"result": True}

    return body


_BUILDERS: dict[str, Callable[[Hub, dict[str, Any], str], StepBody]] = {
    "service": _service,
    **WAIT_BUILDERS,
    "choose": _choose,
    "if": _if,
    "repeat": _repeat,
    "variables": _variables,
    "parallel": _parallel,
    "event": _event,
    "stop": _stop,
    "condition": _condition,
}
