"""The Hub: one event loop owning the bus, states, services, clock, tasks and worker threads."""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections.abc import Awaitable, Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from datetime import tzinfo
from enum import StrEnum
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from zoneinfo import ZoneInfo

from .bus import EventBus
from .const import EVENT_HUB_STARTED, EVENT_HUB_STOP
from .scheduler import Scheduler
from .services import ServiceRegistry
from .states import StateMachine

if TYPE_CHECKING:
    from aiohttp import web

    from ..config import HubConfig
    from ..entity import EntityRegistry
    from ..recorder import Recorder

__all__ = ["CoreState", "ExecutorJob", "Hub"]

# `Hub.async_add_executor_job` as a store takes it: stores built without a hub (the CLI,
# tests) are handed another runner of the same shape.
ExecutorJob = Callable[..., Awaitable[Any]]

_LOGGER = logging.getLogger(__name__)
_T = TypeVar("_T")

STOP_TIMEOUT = 30.0
# How long `async_wait_writes` lets a barrier wait for a durable write before it moves anyway.
WRITE_WAIT_TIMEOUT = 10.0
MAX_WORKERS = max(4, min(16, (os.cpu_count() or 1) * 2))


async def _resume(coro: Coroutine[Any, Any, _T], waiting_on: Any) -> _T:
    """Drive a coroutine that `async_run_coroutine` started, from where it stopped.

    `waiting_on` is what the coroutine yielded: the asyncio future it awaits, or None
    for a bare `sleep(0)`. Await that, then resume the coroutine, which reads the
    outcome (result, error, cancellation) from the future itself.
    """
    while True:
        try:
            if waiting_on is None:
                await asyncio.sleep(0)
            else:
                # What a Task does with a yielded future: take over the "blocking" flag.
                waiting_on._asyncio_future_blocking = False
                await waiting_on
        except asyncio.CancelledError as err:
            # This task was cancelled. If the future still completed, the coroutine
            # would not notice: throw the cancellation into it instead.
            if waiting_on is None or not waiting_on.cancelled():
                try:
                    waiting_on = coro.throw(err)
                except StopIteration as stop:
                    return stop.value  # type: ignore[no-any-return]
                continue
        except Exception:
            pass
        try:
            waiting_on = coro.send(None)
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]


class CoreState(StrEnum):
    not_running = "NOT_RUNNING"
    starting = "STARTING"
    running = "RUNNING"
    stopping = "STOPPING"
    stopped = "STOPPED"


class Hub:
    """The root object every integration receives.

    Work started here is tracked: `async_create_task` for short jobs the hub waits for
    (`async_block_till_done`), `async_create_background_task` for long-lived loops that
    stop cancels, and `async_add_executor_job` as the one door to worker threads for
    blocking and CPU work. Core services (recorder, entity registry, web) hang off typed
    attributes set by whoever builds them; integrations reach each other only through
    the bus, the states and the services.
    """

    def __init__(self, config: HubConfig, *, config_dir: Path, data_dir: Path) -> None:
        self.loop = asyncio.get_running_loop()
        self.config = config
        self.config_dir = config_dir
        # The file the config came from (bootstrap sets it): what automation reload re-reads.
        self.config_path = config_dir / "config.yaml"
        self.data_dir = data_dir
        self.state = CoreState.not_running
        # Validated config names a zone that exists; zoneinfo caches it after validation.
        self.time_zone: tzinfo = ZoneInfo(config.time_zone)
        self.scheduler = Scheduler(self)
        self.bus = EventBus(self)
        self.states = StateMachine(self.bus, lambda: self.scheduler.timestamp())
        self.services = ServiceRegistry(self)
        self._tasks: set[asyncio.Future[Any]] = set()
        self._background_tasks: set[asyncio.Task[Any]] = set()
        self._waiting: dict[asyncio.Task[Any], asyncio.Future[Any]] = {}
        self._set_aside_waiters: set[asyncio.Future[None]] = set()
        self._close_jobs: list[Callable[[], Awaitable[None]]] = []
        self._writes: set[asyncio.Future[Any]] = set()
        self._executor = ThreadPoolExecutor(MAX_WORKERS, thread_name_prefix="hub-worker")
        self._stopped = asyncio.Event()
        # Core services, set by whoever builds them (hub/bootstrap.py in a real run).
        self.recorder: Recorder | None = None
        self.entity_registry: EntityRegistry | None = None
        self.http: web.Application | None = None
        # Each integration's running objects, under its domain (HA's `hass.data`).
        self.data: dict[str, Any] = {}
        # The integrations whose setup succeeded (HA's `hass.config.components`).
        self.components: set[str] = set()

    # -- work ---------------------------------------------------------------------------

    def async_create_task(
        self, target: Coroutine[Any, Any, _T], name: str = ""
    ) -> asyncio.Task[_T]:
        """Run a coroutine as a task the hub waits for in `async_block_till_done`."""
        task = self.loop.create_task(target, name=name or None)
        self._tasks.add(task)
        task.add_done_callback(partial(self._forget, self._tasks, "Error in task"))
        return task

    def async_run_coroutine(
        self, coro: Coroutine[Any, Any, Any], name: str = ""
    ) -> asyncio.Task[Any] | None:
        """Start `coro` at once, inline; only if it has to wait does it become a tracked task.

        Listeners and timers mostly finish without waiting on anything, and a task per
        call would cost more than the work (Python 3.12's eager tasks, for 3.11). An
        error raised before the first wait is logged here, like a failing task's.
        """
        try:
            waiting_on = coro.send(None)
        except StopIteration:
            return None
        except Exception:
            _LOGGER.exception("Error in %s", name or coro)
            return None
        return self.async_create_task(_resume(coro, waiting_on), name)

    async def async_await_untracked(self, awaitable: Awaitable[_T]) -> _T:
        """Await what only the clock or another event will finish, without counting as work.

        An automation waiting in a `delay:` is not busy: if its tracked task kept counting,
        `async_block_till_done` (and so a test's `clock.advance`) would wait for a timer
        that only advancing the clock can fire. For the wait, the caller's task counts as
        pending only once what it awaits is done (it has work again). Called from a
        coroutine `async_run_coroutine` still runs inline, it first lets that coroutine
        move into its own task, so the task set aside is the right one.
        """
        await asyncio.sleep(0)
        task = asyncio.current_task()
        future = asyncio.ensure_future(awaitable)
        tracked = task is not None and task in self._tasks
        if tracked and task is not None:
            self._tasks.discard(task)
            self._waiting[task] = future
            for waiter in self._set_aside_waiters:
                if not waiter.done():
                    waiter.set_result(None)
        try:
            return await future
        finally:
            if tracked and task is not None:
                self._waiting.pop(task, None)
                if not task.done():
                    self._tasks.add(task)

    def async_create_background_task(
        self, target: Coroutine[Any, Any, _T], name: str
    ) -> asyncio.Task[_T]:
        """Run a long-lived coroutine (a reader loop, a poller) that stop cancels."""
        task = self.loop.create_task(target, name=name)
        self._background_tasks.add(task)
        task.add_done_callback(
            partial(self._forget, self._background_tasks, "Background task failed:")
        )
        return task

    def async_add_executor_job(self, func: Callable[..., _T], *args: Any) -> asyncio.Future[_T]:
        """Run blocking or CPU-bound `func(*args)` in a worker thread; await the result."""
        future = self.loop.run_in_executor(self._executor, func, *args)
        self._tasks.add(future)
        future.add_done_callback(self._tasks.discard)
        return future

    def async_track_write(self, write: asyncio.Future[Any]) -> None:
        """Register a durable write in flight (a parking session row being committed).

        Whoever acts in the world on the same cause (a gate about to open for the plate that
        started the session) calls `async_wait_writes` first, so a crash right after the
        barrier moved can never have lost the record of why it moved. Register the write
        synchronously, in the listener that starts it, so it is in flight before any
        automation reacting to the same event gets to its service call.
        """
        self._writes.add(write)
        write.add_done_callback(self._writes.discard)

    def async_writes_in_flight(self) -> frozenset[asyncio.Future[Any]]:
        """The durable writes in flight now. Taken before and after firing an event, the
        difference is what the event's listeners started (a worker node's event is
        acknowledged once those are committed: mqtt/node_mirror.py)."""
        return frozenset(self._writes)

    async def async_wait_writes(self) -> None:
        """Wait until the durable writes in flight now have finished (no wait when none are).

        A write that failed was logged by its task; one that hangs past WRITE_WAIT_TIMEOUT is
        warned about and no longer waited for: a barrier must not stay shut forever
        because a disk is stuck.
        """
        if not self._writes:
            return
        _done, stuck = await asyncio.wait(list(self._writes), timeout=WRITE_WAIT_TIMEOUT)
        if stuck:
            _LOGGER.warning(
                "%d durable writes still running after %.0f s", len(stuck), WRITE_WAIT_TIMEOUT
            )

    def async_on_close(self, job: Callable[[], Awaitable[None]]) -> None:
        """Run `job` at the very end of stop, after integrations are down (last in, first out).

        For the core services integrations write through (the recorder's final flush,
        the web server), not for integrations: they listen for `hub_stop`.
        """
        self._close_jobs.append(job)

    @staticmethod
    def _forget(tracked: set[Any], message: str, task: asyncio.Task[Any]) -> None:
        """A tracked task ended: stop tracking it, and log its error if it failed."""
        tracked.discard(task)
        if not task.cancelled() and (err := task.exception()) is not None:
            _LOGGER.error("%s %s", message, task.get_name(), exc_info=err)

    async def async_block_till_done(self) -> None:
        """Wait until every tracked task and worker job, and all they started, is done.

        A task that starts waiting on the clock (`async_await_untracked`) stops counting,
        so the wait wakes up for that too, not only when a task ends.
        """
        while pending := self._pending():
            set_aside = self.loop.create_future()
            self._set_aside_waiters.add(set_aside)
            try:
                await asyncio.wait([*pending, set_aside], return_when=asyncio.FIRST_COMPLETED)
            finally:
                self._set_aside_waiters.discard(set_aside)
                set_aside.cancel()
            # Let callbacks scheduled by the last tasks run too.
            await asyncio.sleep(0)

    def _pending(self) -> list[asyncio.Future[Any]]:
        """Tracked work still running, less the caller: a task may wait for the others
        (a stop requested from a task), never for itself."""
        current = asyncio.current_task()
        pending = [task for task in self._tasks if not task.done() and task is not current]
        # Tasks set aside by async_await_untracked count again once their wait is over.
        pending.extend(
            task
            for task, awaited in self._waiting.items()
            if awaited.done() and not task.done() and task is not current
        )
        return pending

    # -- life cycle ---------------------------------------------------------------------

    async def async_start(self) -> None:
        """Mark the hub running and tell everyone (`hub_started`)."""
        self.state = CoreState.starting
        await self.async_block_till_done()
        self.state = CoreState.running
        self.bus.async_fire(EVENT_HUB_STARTED)
        _LOGGER.info("ParkHub %s started", self.config.name)

    async def async_wait_stopped(self) -> None:
        """Wait until something (a signal, a test) has stopped the hub."""
        await self._stopped.wait()

    async def async_stop(self) -> None:
        """Stop cleanly: integrations first, then core services, then threads.

        Nothing is left running afterwards: tracked tasks are awaited (cancelled after
        STOP_TIMEOUT), background tasks cancelled, timers dropped, worker threads joined.
        """
        if self.state in (CoreState.stopping, CoreState.stopped):
            return
        self.state = CoreState.stopping
        self.bus.async_fire(EVENT_HUB_STOP)
        await self._settle("hub_stop listeners")
        for task in list(self._background_tasks):
            task.cancel()
        if self._background_tasks:
            await asyncio.wait(list(self._background_tasks), timeout=STOP_TIMEOUT)
        self.scheduler.async_cancel_all()
        await self._settle("stopping tasks")
        while self._close_jobs:
            job = self._close_jobs.pop()
            try:
                await asyncio.wait_for(job(), STOP_TIMEOUT)
            except Exception:
                _LOGGER.exception("Error while closing %r", job)
        await self._settle("closing jobs")
        await self._async_shutdown_executor()
        self.state = CoreState.stopped
        self._stopped.set()
        _LOGGER.info("ParkHub %s stopped", self.config.name)

    async def _async_shutdown_executor(self) -> None:
        """Join the worker threads from a thread of its own: joining blocks."""
        done = self.loop.create_future()

        def shutdown() -> None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self.loop.call_soon_threadsafe(done.set_result, None)

        threading.Thread(target=shutdown, name="hub-stop").start()
        await done

    async def _settle(self, stage: str) -> None:
        try:
            # Not wait_for: that runs the wait in a new task, which would wait for us.
            async with asyncio.timeout(STOP_TIMEOUT):
                await self.async_block_till_done()
        except TimeoutError:
            stuck = self._pending()
            _LOGGER.warning(
                "Timed out waiting for %s; cancelling %d tasks: %s", stage, len(stuck), stuck
            )
            for task in stuck:
                task.cancel()
