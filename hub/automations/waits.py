"""The steps that wait: `delay`, `wait_template` and `wait_for_trigger`.

They wait on the hub's clock and through `Hub.async_await_untracked`, so a run sitting in
a delay does not count as work for `async_block_till_done` (and tests move the clock
instead of sleeping). A wait that times out sets `wait.completed` false and carries on,
or ends the run with `continue_on_timeout: false`.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from hub.core.context import Context
from hub.template import Template, TemplateError, async_track_template

from .run import Run, StepBody, StopRun
from .triggers import TriggerInfo, async_attach_triggers, truthy
from .triggers.state import render_period

if TYPE_CHECKING:
    from hub.core.hub import Hub

__all__ = ["WAIT_BUILDERS"]


async def _wait_future(hub: Hub, future: asyncio.Future[Any], seconds: float | None) -> bool:
    """Wait for `future` on the hub's clock; False when `seconds` passed first."""
    if seconds is None:
        await hub.async_await_untracked(future)
        return True

    def expire(_now: Any) -> None:
        if not future.done():
            future.set_result(False)

    cancel = hub.scheduler.async_call_later(seconds, expire)
    try:
        return bool(await hub.async_await_untracked(future))
    finally:
        cancel()


def _delay(hub: Hub, config: dict[str, Any], name: str) -> StepBody:
    async def body(run: Run, _path: str) -> Any:
        period = render_period(hub, config["delay"], run.variables)
        future: asyncio.Future[Any] = hub.loop.create_future()
        cancel = hub.scheduler.async_call_later(
            period, lambda _now: None if future.done() else future.set_result(True)
        )
        try:
            await hub.async_await_untracked(future)
        finally:
            cancel()
        return {"delay": period.total_seconds()}

    return body


def _timeout(hub: Hub, config: dict[str, Any], run: Run) -> float | None:
    if "timeout" not in config:
        return None
    return render_period(hub, config["timeout"], run.variables).total_seconds()


def _finish_wait(config: dict[str, Any], run: Run, completed: bool, extra: dict[str, Any]) -> Any:
    run.variables["wait"] = {"completed": completed, **extra}
    if not completed and not config.get("continue_on_timeout", True):
        raise StopRun("timed out")
    return {"completed": completed}


def _wait_template(hub: Hub, config: dict[str, Any], name: str) -> StepBody:
    template = Template(config["wait_template"], hub)

    async def body(run: Run, _path: str) -> Any:
        timeout = _timeout(hub, config, run)
        future: asyncio.Future[Any] = hub.loop.create_future()

        def on_result(result: Any, _event: Any) -> None:
            if future.done():
                return
            if isinstance(result, TemplateError):
                future.set_exception(result)
            elif truthy(result):
                future.set_result(True)

        untrack = async_track_template(hub, template, run.variables, on_result)
        try:
            completed = await _wait_future(hub, future, timeout)
        finally:
            untrack()
        return _finish_wait(config, run, completed, {"trigger": None})

    return body


def _wait_for_trigger(hub: Hub, config: dict[str, Any], name: str) -> StepBody:
    async def body(run: Run, _path: str) -> Any:
        timeout = _timeout(hub, config, run)
        future: asyncio.Future[Any] = hub.loop.create_future()

        def on_trigger(data: dict[str, Any], _context: Context | None) -> None:
            if not future.done():
                future.set_result(data)

        info = TriggerInfo(name, run.variables)
        detach = await async_attach_triggers(hub, config["wait_for_trigger"], on_trigger, info)
        cancel = (
            hub.scheduler.async_call_later(
                timeout, lambda _now: None if future.done() else future.set_result(None)
            )
            if timeout is not None
            else None
        )
        try:
            fired = await hub.async_await_untracked(future)
        finally:
            detach()
            if cancel is not None:
                cancel()
        return _finish_wait(config, run, fired is not None, {"trigger": fired})

    return body


WAIT_BUILDERS = {
    "delay": _delay,
    "wait_template": _wait_template,
    "wait_for_trigger": _wait_for_trigger,
}
