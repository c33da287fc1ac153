"""The one clock: every timestamp and every timer in the hub comes from here.

Timers live in one heap keyed by wall-clock time, with a single loop timer armed for
the earliest one. Because nothing else asks the OS for the time, tests can freeze the
clock and `async_advance` it: due timers fire in order, and the hub settles after each.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
import time
from collections.abc import Callable, Collection, Coroutine
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from .bus import CALLBACK_TYPE, Event

if TYPE_CHECKING:
    from .hub import Hub

__all__ = ["Scheduler", "TimerAction"]

_LOGGER = logging.getLogger(__name__)

TimerAction = Callable[[datetime], Coroutine[Any, Any, None] | None]


class _Timer:
    __slots__ = ("action", "cancelled", "due", "seq")

    def __init__(self, due: float, seq: int, action: TimerAction) -> None:
        self.due = due
        self.seq = seq
        self.action = action
        self.cancelled = False

    def __lt__(self, other: _Timer) -> bool:
        return (self.due, self.seq) < (other.due, other.seq)


def _seconds(delay: float | timedelta) -> float:
    return delay.total_seconds() if isinstance(delay, timedelta) else float(delay)


class Scheduler:
    """Owns time for the hub: `timestamp()`, `utcnow()` and timers."""

    def __init__(self, hub: Hub) -> None:
        self._hub = hub
        self._heap: list[_Timer] = []
        self._seq = itertools.count()
        self._handle: asyncio.TimerHandle | None = None
        self._armed_for: float | None = None
        self._frozen: float | None = None
        self.timestamp: Callable[[], float] = time.time

    # -- time ---------------------------------------------------------------------------

    def utcnow(self) -> datetime:
        return datetime.fromtimestamp(self.timestamp(), UTC)

    def freeze(self, at: datetime | None = None) -> None:
        """Stop the clock (tests): from now on only `async_advance` moves it."""
        self._frozen = at.timestamp() if at is not None else time.time()
        self.timestamp = self._frozen_timestamp
        self._disarm()

    def _frozen_timestamp(self) -> float:
        assert self._frozen is not None
        return self._frozen

    async def async_advance(self, seconds: float | timedelta = 0) -> None:
        """Move a frozen clock forward, firing due timers in order and settling after each."""
        if self._frozen is None:
            raise RuntimeError("the clock is not frozen")
        target = self._frozen + _seconds(seconds)
        await self._hub.async_block_till_done()
        while self._heap and self._heap[0].due <= target:
            timer = heapq.heappop(self._heap)
            if timer.cancelled:
                continue
            self._frozen = max(self._frozen, timer.due)
            self._fire(timer)
            await self._hub.async_block_till_done()
        self._frozen = target
        await self._hub.async_block_till_done()

    # -- timers -------------------------------------------------------------------------

    def async_call_later(self, delay: float | timedelta, action: TimerAction) -> CALLBACK_TYPE:
        """Run `action(now)` after `delay`; returns a cancel callable."""
        return self._schedule(self.timestamp() + _seconds(delay), action)

    def async_call_at(self, when: datetime, action: TimerAction) -> CALLBACK_TYPE:
        """Run `action(now)` at `when` (an aware datetime); returns a cancel callable."""
        return self._schedule(when.timestamp(), action)

    def async_track_interval(
        self, interval: float | timedelta, action: TimerAction
    ) -> CALLBACK_TYPE:
        """Run `action(now)` every `interval`, first after one interval; returns a cancel callable.

        Each run is scheduled from the previous due time, so the cadence does not drift.
        """
        step = _seconds(interval)
        if step <= 0:
            raise ValueError("interval must be positive")
        cancel_current: CALLBACK_TYPE | None = None
        due = self.timestamp() + step

        def run(now: datetime) -> Coroutine[Any, Any, None] | None:
            nonlocal cancel_current, due
            due += step
            cancel_current = self._schedule(max(due, self.timestamp()), run)
            return action(now)

        cancel_current = self._schedule(due, run)

        def cancel() -> None:
            if cancel_current is not None:
                cancel_current()

        return cancel

    def async_track_state_for(
        self,
        entity_id: str,
        states: str | Collection[str],
        duration: float | timedelta,
        action: TimerAction,
    ) -> CALLBACK_TYPE:
        """Run `action(now)` once `entity_id` has stayed in one of `states` for `duration`.

        The basis of overstay alerts: it re-arms every time the entity enters the state
        again, and the wait counts from when the state last changed, so an entity already
        in the state when this is called is not made to wait the whole duration again.
        """
        wanted = {states} if isinstance(states, str) else set(states)
        seconds = _seconds(duration)
        cancel_timer: CALLBACK_TYPE | None = None

        def arm(since: float | None) -> None:
            nonlocal cancel_timer
            if cancel_timer is not None:
                cancel_timer()
                cancel_timer = None
            if since is not None:
                cancel_timer = self._schedule(since + seconds, action)

        def on_change(event: Event) -> None:
            new = event.data["new_state"]
            old = event.data["old_state"]
            if new is None or new.state not in wanted:
                arm(None)
            elif old is None or old.state != new.state:
                arm(new.last_changed_timestamp)

        current = self._hub.states.get(entity_id)
        if current is not None and current.state in wanted:
            arm(current.last_changed_timestamp)
        untrack = self._hub.states.async_track(entity_id, on_change)

        def cancel() -> None:
            untrack()
            arm(None)

        return cancel

    def async_cancel_all(self) -> None:
        """Drop every timer (hub stop)."""
        for timer in self._heap:
            timer.cancelled = True
        self._heap.clear()
        self._disarm()

    @property
    def pending(self) -> int:
        return sum(1 for timer in self._heap if not timer.cancelled)

    def _schedule(self, due: float, action: TimerAction) -> CALLBACK_TYPE:
        timer = _Timer(due, next(self._seq), action)
        heapq.heappush(self._heap, timer)
        if self._frozen is None and (self._armed_for is None or due < self._armed_for):
            self._arm(due)

        def cancel() -> None:
            timer.cancelled = True

        return cancel

    def _fire(self, timer: _Timer) -> None:
        try:
            result = timer.action(self.utcnow())
        except Exception:
            _LOGGER.exception("Error in timer %r", timer.action)
            return
        if result is not None and isinstance(result, Coroutine):
            self._hub.async_run_coroutine(result, "timer")

    # -- the single loop timer (real clock only) ------------------------------------------

    def _arm(self, due: float) -> None:
        self._disarm()
        loop = self._hub.loop
        self._armed_for = due
        self._handle = loop.call_at(loop.time() + max(0.0, due - time.time()), self._run_due)

    def _disarm(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
        self._handle = None
        self._armed_for = None

    def _run_due(self) -> None:
        self._handle = None
        self._armed_for = None
        # Loop timers may fire a hair early against the wall clock; allow a millisecond.
        now = time.time() + 0.001
        heap = self._heap
        while heap and (heap[0].cancelled or heap[0].due <= now):
            timer = heapq.heappop(heap)
            if not timer.cancelled:
                self._fire(timer)
        if heap and self._frozen is None:
            self._arm(heap[0].due)
