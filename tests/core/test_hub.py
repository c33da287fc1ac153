"""Hub life cycle: start and stop events, tracked work, worker threads, clean stop."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest

from hub.config import HubConfig
from hub.core.bus import Event
from hub.core.const import EVENT_HUB_STARTED, EVENT_HUB_STOP
from hub.core.hub import CoreState, Hub
from tests.conftest import Clock, LogGuard


def _state(hub: Hub) -> CoreState:
    """The hub's state read afresh: mypy keeps an earlier `assert hub.state is` across awaits."""
    return hub.state


async def test_start_and_stop_fire_events_and_end_everything(tmp_path: Path) -> None:
    hub = Hub(HubConfig(), config_dir=tmp_path, data_dir=tmp_path)
    events: list[str] = []
    hub.bus.async_listen(EVENT_HUB_STARTED, lambda event: events.append(event.event_type))
    stopped_cleanly = asyncio.Event()

    async def on_stop(event: Event) -> None:
        await asyncio.sleep(0.01)  # an integration saying goodbye to its devices
        events.append(event.event_type)
        stopped_cleanly.set()

    hub.bus.async_listen(EVENT_HUB_STOP, on_stop)
    await hub.async_start()
    assert hub.state is CoreState.running

    forever = hub.async_create_background_task(asyncio.sleep(3600), "camera reader")
    worker_thread = await hub.async_add_executor_job(threading.current_thread)
    hub.scheduler.async_call_later(3600, lambda now: None)

    await hub.async_stop()

    assert events == [EVENT_HUB_STARTED, EVENT_HUB_STOP]
    assert stopped_cleanly.is_set()
    assert forever.cancelled()
    assert not worker_thread.is_alive()
    assert hub.scheduler.pending == 0
    assert _state(hub) is CoreState.stopped


async def test_close_jobs_run_last_in_reverse_order(tmp_path: Path) -> None:
    hub = Hub(HubConfig(), config_dir=tmp_path, data_dir=tmp_path)
    order: list[str] = []

    async def close_recorder() -> None:
        order.append("recorder")

    async def close_web() -> None:
        order.append("web")

    hub.async_on_close(close_recorder)
    hub.async_on_close(close_web)
    hub.bus.async_listen(EVENT_HUB_STOP, lambda event: order.append("integrations"))
    await hub.async_start()
    await hub.async_stop()
    assert order == ["integrations", "web", "recorder"]


async def test_executor_runs_blocking_work_off_the_loop(hub: Hub) -> None:
    loop_thread = threading.current_thread()
    ran_on = await hub.async_add_executor_job(threading.current_thread)
    assert ran_on is not loop_thread
    assert ran_on.name.startswith("hub-worker")


async def test_block_till_done_waits_for_tasks_started_by_tasks(hub: Hub) -> None:
    done: list[str] = []

    async def inner() -> None:
        await asyncio.sleep(0.01)
        done.append("inner")

    async def outer() -> None:
        await asyncio.sleep(0)
        hub.async_create_task(inner())
        done.append("outer")

    hub.async_create_task(outer())
    await hub.async_block_till_done()
    assert done == ["outer", "inner"]


async def test_failed_task_is_logged(
    hub: Hub, log_guard: LogGuard, caplog: pytest.LogCaptureFixture
) -> None:
    log_guard.allowed = True

    async def broken() -> None:
        raise ValueError("camera exploded")

    hub.async_create_task(broken(), "broken camera")
    await hub.async_block_till_done()
    assert "broken camera" in caplog.text
    assert "camera exploded" in caplog.text


async def test_stop_from_a_task_cancels_what_is_stuck_but_finishes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A SIGTERM handler stops the hub from a tracked task; a listener that never returns
    is cancelled after the timeout, and the stop itself still completes."""
    monkeypatch.setattr("hub.core.hub.STOP_TIMEOUT", 0.05)
    hub = Hub(HubConfig(), config_dir=tmp_path, data_dir=tmp_path)
    hung = asyncio.Event()

    async def never_returns(event: Event) -> None:
        await hung.wait()

    hub.bus.async_listen(EVENT_HUB_STOP, never_returns)
    await hub.async_start()
    stop = hub.async_create_task(hub.async_stop(), "stop")
    await asyncio.wait_for(hub.async_wait_stopped(), 5)

    assert stop.done()
    assert not stop.cancelled()
    assert hub.state is CoreState.stopped
    assert "Timed out waiting for hub_stop listeners; cancelling 1 tasks" in caplog.text


async def test_waiting_on_the_clock_does_not_count_as_work(hub: Hub, clock: Clock) -> None:
    """A tracked task in `async_await_untracked` lets `async_block_till_done` return, and
    counts again once what it waits for is done (so `clock.advance` sees it finish)."""
    steps: list[str] = []

    async def run() -> None:
        steps.append("before")
        done: asyncio.Future[None] = hub.loop.create_future()
        hub.scheduler.async_call_later(60, lambda _now: done.set_result(None))
        await hub.async_await_untracked(done)
        await asyncio.sleep(0)  # more work after the wait, still tracked
        steps.append("after")

    hub.async_run_coroutine(run(), "waits a minute")
    async with asyncio.timeout(1):
        await hub.async_block_till_done()  # returns although the run is still waiting
    assert steps == ["before"]
    await clock.advance(seconds=60)
    assert steps == ["before", "after"]


async def test_wait_writes_waits_for_the_writes_in_flight(hub: Hub) -> None:
    """What a gate does before it moves: nothing to wait for costs no loop turn; a durable
    write in flight is waited for; one that hangs is given up on after the timeout."""
    order: list[str] = []

    async def waiter() -> None:
        await hub.async_wait_writes()
        order.append("gate")

    # Nothing in flight: the waiter runs to its end without yielding.
    assert hub.async_run_coroutine(waiter()) is None
    assert order == ["gate"]

    release = asyncio.Event()

    async def write() -> None:
        await release.wait()
        order.append("write")

    hub.async_track_write(hub.async_create_task(write()))
    waiting = hub.async_run_coroutine(waiter())
    assert waiting is not None
    await asyncio.sleep(0)
    assert order == ["gate"]
    release.set()
    await hub.async_block_till_done()
    assert order == ["gate", "write", "gate"]


async def test_a_hung_write_does_not_keep_the_gate_shut(
    hub: Hub, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import hub.core.hub as hub_module

    monkeypatch.setattr(hub_module, "WRITE_WAIT_TIMEOUT", 0.01)
    stuck: asyncio.Future[None] = hub.loop.create_future()
    hub.async_track_write(stuck)
    await hub.async_wait_writes()
    assert "1 durable writes still running after" in caplog.text
    stuck.cancel()
