"""The durable outbox: store first, then send, retry with backoff, report, never twice.

A notification is committed to `notify.db` before its first attempt. Each attempt runs
under the notifier's timeout; a timeout, a refused connection or a 5xx is retried after
`retry_delay`, doubling up to `max_retry_delay`, until `max_tries` attempts have failed
(then `notification_failed`). A refusal of the message itself fails at once. On success
the row is marked sent and `notification_sent` fires. Every attempt of one notification
carries its id as the idempotency key, so a retry after a lost answer, or a resume after
a crash mid-attempt, is recognised by the far side and not delivered again.

A per-recipient rate limit holds messages back (it never drops them): the next one goes
out when the recipient's window has room again.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from hub.core.context import Context

from .const import (
    EVENT_NOTIFICATION_FAILED,
    EVENT_NOTIFICATION_SENT,
    STATUS_FAILED,
    STATUS_SENT,
)
from .errors import PermanentError, RetryableError
from .models import Notification
from .platforms import Notifier

if TYPE_CHECKING:
    from hub.core.hub import Hub

    from .store import OutboxStore

__all__ = ["Outbox", "OutboxConfig", "RateLimiter"]

_LOGGER = logging.getLogger(__name__)

# How long stop waits for attempts in flight before leaving them for the next start.
STOP_GRACE = 10.0
# Attempts on the wire at once: a restart with a thousand pending notifications must not
# open a thousand connections.
MAX_CONCURRENT = 8


@dataclass(frozen=True, slots=True)
class OutboxConfig:
    max_tries: int
    retry_delay: float
    max_retry_delay: float
    rate_count: int
    rate_period: float

    def backoff(self, tries: int) -> float:
        """Delay before the next attempt after `tries` failed ones: doubling, capped."""
        return float(min(self.retry_delay * 2 ** (tries - 1), self.max_retry_delay))


class RateLimiter:
    """At most `count` attempts per recipient in any `period` seconds."""

    def __init__(self, count: int, period: float) -> None:
        self._count = count
        self._period = period
        self._sent: dict[tuple[str, str], deque[float]] = {}

    def wait_time(self, key: tuple[str, str], now: float) -> float:
        """Seconds until `key` may send again (0: now); a 0 answer books the slot."""
        times = self._sent.setdefault(key, deque())
        while times and times[0] <= now - self._period:
            times.popleft()
        if len(times) >= self._count:
            return times[0] + self._period - now
        times.append(now)
        return 0.0


class Outbox:
    """Schedules, sends and settles every notification of every notifier."""

    def __init__(
        self,
        hub: Hub,
        store: OutboxStore,
        notifiers: dict[str, Notifier],
        config: OutboxConfig,
    ) -> None:
        self._hub = hub
        self._store = store
        self._notifiers = notifiers
        self._config = config
        self._limiter = RateLimiter(config.rate_count, config.rate_period)
        self._timers: dict[str, Callable[[], None]] = {}
        self._in_flight: dict[str, asyncio.Task[None]] = {}
        self._stopping = False
        self._slots = asyncio.Semaphore(MAX_CONCURRENT)

    @property
    def waiting(self) -> int:
        """Notifications waiting for their next attempt, for /metrics."""
        return len(self._timers)

    @property
    def sending(self) -> int:
        """Attempts running now, for /metrics."""
        return len(self._in_flight)

    async def async_resume(self) -> int:
        """Schedule every notification a previous run left pending; how many there were."""
        pending = await self._store.async_pending()
        for note in pending:
            if note.notifier not in self._notifiers:
                note.last_error = f"notifier {note.notifier!r} is no longer configured"
                await self._async_give_up(note)
                continue
            self._schedule(note)
        if pending:
            _LOGGER.info("Resuming %d pending notifications", len(pending))
        return len(pending)

    async def async_enqueue(self, notes: list[Notification]) -> int:
        """Store `notes` durably, then start sending them; how many were new.

        Returns once they are committed, before any attempt has finished.
        """
        added = await self._store.async_add(notes)
        for note in added:
            self._schedule(note)
        return len(added)

    async def async_stop(self) -> None:
        """Stop starting attempts; let running ones finish briefly. Pending rows stay stored."""
        self._stopping = True
        for cancel in self._timers.values():
            cancel()
        self._timers.clear()
        if not self._in_flight:
            return
        _done, late = await asyncio.wait(list(self._in_flight.values()), timeout=STOP_GRACE)
        for task in late:  # still pending in the file: the next start sends them
            task.cancel()
        if late:
            await asyncio.wait(late)

    # -- scheduling --------------------------------------------------------------------------

    def _schedule(self, note: Notification) -> None:
        if self._stopping:
            return
        delay = max(0.0, note.next_attempt - self._hub.scheduler.timestamp())

        def due(_now: datetime) -> None:
            self._timers.pop(note.id, None)
            self._start(note)

        if delay <= 0:
            self._start(note)
        else:
            self._timers[note.id] = self._hub.scheduler.async_call_later(delay, due)

    def _start(self, note: Notification) -> None:
        if self._stopping or note.id in self._in_flight:
            return
        now = self._hub.scheduler.timestamp()
        wait = self._limiter.wait_time((note.notifier, note.target), now)
        if wait > 0:
            _LOGGER.debug("Rate limit: %s to %r waits %.0f s", note.id, note.target, wait)
            note.next_attempt = now + wait
            self._schedule(note)
            return
        task = self._hub.async_create_task(self._async_attempt(note), f"notify {note.id}")
        self._in_flight[note.id] = task
        task.add_done_callback(lambda _task: self._in_flight.pop(note.id, None))

    # -- one attempt -------------------------------------------------------------------------

    async def _async_attempt(self, note: Notification) -> None:
        notifier = self._notifiers[note.notifier]
        async with self._slots:
            note.tries += 1
            retry, error = await self._async_send(notifier, note)
        if error is None:
            note.last_error = None
            await self._store.async_finish(note, STATUS_SENT, self._hub.scheduler.timestamp())
            _LOGGER.debug("Sent %s via %s after %d tries", note.id, note.notifier, note.tries)
            self._fire(EVENT_NOTIFICATION_SENT, note)
        elif retry:
            await self._async_retry(note, error)
        else:
            note.last_error = error
            await self._async_give_up(note)

    @staticmethod
    async def _async_send(notifier: Notifier, note: Notification) -> tuple[bool, str | None]:
        """One attempt under the notifier's timeout: (worth retrying, error or None)."""
        try:
            async with asyncio.timeout(notifier.timeout):
                await notifier.async_send(note)
        except TimeoutError:
            return True, f"no answer within {notifier.timeout:g} s"
        except RetryableError as err:
            return True, str(err)
        except PermanentError as err:
            return False, str(err)
        except Exception as err:
            _LOGGER.exception("Notifier %s failed on %s", note.notifier, note.id)
            return False, f"{type(err).__name__}: {err}"
        return False, None

    async def _async_retry(self, note: Notification, error: str) -> None:
        note.last_error = error
        if note.tries >= self._config.max_tries:
            await self._async_give_up(note)
            return
        delay = self._config.backoff(note.tries)
        note.next_attempt = self._hub.scheduler.timestamp() + delay
        _LOGGER.info(
            "Notification %s via %s failed (try %d of %d): %s; retrying in %.0f s",
            note.id,
            note.notifier,
            note.tries,
            self._config.max_tries,
            error,
            delay,
        )
        await self._store.async_reschedule(note)
        self._schedule(note)

    async def _async_give_up(self, note: Notification) -> None:
        _LOGGER.warning(
            "Notification %s via %s to %r failed after %d tries: %s",
            note.id,
            note.notifier,
            note.target,
            note.tries,
            note.last_error,
        )
        await self._store.async_finish(note, STATUS_FAILED, self._hub.scheduler.timestamp())
        self._fire(EVENT_NOTIFICATION_FAILED, note, error=note.last_error)

    def _fire(self, event_type: str, note: Notification, **extra: object) -> None:
        notifier = self._notifiers.get(note.notifier)
        data = {
            **note.describe(),
            "platform": notifier.platform if notifier else None,
            **extra,
        }
        self._hub.bus.async_fire(event_type, data, context=Context(parent_id=note.context_id))
