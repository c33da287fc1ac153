"""The Recorder: a cheap listener, a batched writer, the restore cache and the timers.

Everything happens on the event loop except SQL, which aiosqlite runs in its own thread
(or asyncpg sends to PostgreSQL, with `db_url`; see hub/database.py).
The listener only appends the event to a list and, if no commit is pending, arms one
`commit_interval` ahead; the commit writes the whole list in one transaction. So a burst
costs one write, an idle hub wakes nobody up, and a `kill -9` loses at most the last
interval (each batch is committed, and WAL keeps committed batches through a crash).

One asyncio lock serialises everything that writes (batches, statistics, purge): a single
connection can hold only one transaction at a time. Reads go through the same connection
without the lock; aiosqlite runs them in order with the writes (asyncpg on another
pooled connection, seeing only committed batches).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

from hub.core.bus import CALLBACK_TYPE, Event
from hub.core.const import EVENT_STATE_CHANGED, MATCH_ALL
from hub.core.states import State
from hub.database import Database, DatabaseError, hub_node

from .history import async_events_during, async_last_states, async_states_during
from .purge import async_purge
from .schema import async_open
from .statistics import (
    HOUR,
    STATISTICS_DELAY,
    STATISTICS_KEEP_DAYS,
    async_fetch_hour,
    async_last_run,
    async_save_hour,
    async_statistics_during,
    compile_hour,
    hour_start,
)
from .writer import BatchWriter

if TYPE_CHECKING:
    from hub.core.hub import Hub

    from . import RecorderConfig

__all__ = ["Recorder"]

_LOGGER = logging.getLogger(__name__)

DAY: Final = 86400.0


def _ts(moment: datetime) -> float:
    """A query bound as a UNIX timestamp; a naive datetime is taken as UTC."""
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def _end_ts(moment: datetime | None) -> float | None:
    return None if moment is None else _ts(moment)


class Recorder:
    """Records the bus into SQLite and answers history, event and statistics queries."""

    def __init__(self, hub: Hub, config: RecorderConfig) -> None:
        self._hub = hub
        self.config = config
        self._db: Database | None = None
        self.node = hub_node(hub)
        self._lock = asyncio.Lock()
        self._queue: list[Event] = []
        self._dropped = 0
        self._keep_entity: dict[str, bool] = {}
        self._writer = BatchWriter(self.node)
        self._restore: dict[str, State] = {}
        self._cancel_commit: CALLBACK_TYPE | None = None
        self._cancel_statistics: CALLBACK_TYPE | None = None
        self._cancel_purge: CALLBACK_TYPE | None = None
        self._unlisten: CALLBACK_TYPE | None = None

    # -- life cycle -----------------------------------------------------------------------

    async def async_start(self) -> None:
        """Open the database, fill the restore cache, then start listening and the timers."""
        self._db = await async_open(self.config.target, self.node)
        self._restore = await async_last_states(self._db, self.node)
        await self._writer.async_load(self._db)
        self._unlisten = self._hub.bus.async_listen(MATCH_ALL, self._on_event)
        self._arm_statistics()
        self._arm_purge()
        _LOGGER.debug("Recording to %s (%d states restored)", self._db.label, len(self._restore))

    async def async_close(self) -> None:
        """Stop listening, write what is queued, and close the database."""
        if self._unlisten is not None:
            self._unlisten()
            self._unlisten = None
        for cancel in (self._cancel_commit, self._cancel_statistics, self._cancel_purge):
            if cancel is not None:
                cancel()
        self._cancel_commit = self._cancel_statistics = self._cancel_purge = None
        async with self._lock:
            await self._async_write_queue()
            db, self._db = self._db, None
            if db is not None:
                await db.close()

    def last_state(self, entity_id: str) -> State | None:
        """The entity's state as stored before this start (None if unknown or removed)."""
        return self._restore.get(entity_id)

    # -- recording ------------------------------------------------------------------------

    def _on_event(self, event: Event) -> None:
        """Queue the event unless excluded; arm a commit if none is pending. Runs on every event."""
        if event.event_type == EVENT_STATE_CHANGED:
            entity_id: str = event.data["entity_id"]
            keep = self._keep_entity.get(entity_id)
            if keep is None:
                keep = self._keep_entity[entity_id] = self.config.records_entity(entity_id)
            if not keep:
                return
        elif event.event_type in self.config.exclude_event_types:
            return
        if len(self._queue) >= self.config.max_queue:
            if not self._dropped:
                _LOGGER.warning(
                    "Recorder queue is full (%d rows); dropping events until it drains",
                    self.config.max_queue,
                )
            self._dropped += 1
            return
        self._queue.append(event)
        if self._cancel_commit is None:
            self._cancel_commit = self._hub.scheduler.async_call_later(
                self.config.commit_interval, self._on_commit_timer
            )

    def _on_commit_timer(self, _now: datetime) -> Coroutine[Any, Any, None]:
        self._cancel_commit = None
        return self.async_flush()

    async def async_flush(self) -> None:
        """Write everything queued so far; when this returns, it is committed."""
        async with self._lock:
            await self._async_write_queue()

    async def _async_write_queue(self) -> None:
        """Write the queue as one batch (lock held). A failed batch is logged and dropped."""
        if self._db is None or not self._queue:
            return
        batch, self._queue = self._queue, []
        if self._cancel_commit is not None:  # this write is the commit it was waiting for
            self._cancel_commit()
            self._cancel_commit = None
        if self._dropped:
            _LOGGER.warning("Recorder caught up; %d events were dropped", self._dropped)
            self._dropped = 0
        try:
            await self._writer.async_write(self._db, batch)
        except DatabaseError:
            _LOGGER.exception("Could not record %d events in %s", len(batch), self._db.label)

    # -- queries --------------------------------------------------------------------------

    def _require_db(self) -> Database:
        if self._db is None:
            raise RuntimeError("the recorder is closed")
        return self._db

    @property
    def queue_length(self) -> int:
        """Events waiting for the next commit (for /metrics)."""
        return len(self._queue)

    async def async_history(
        self, entity_ids: list[str] | None, start: datetime, end: datetime | None = None
    ) -> dict[str, list[dict[str, Any]]]:
        """States per entity in [start, end), led by the state in effect at `start`.

        Flushes first, so a state set a moment ago is included. `entity_ids` None means
        every entity ever recorded. See `history.async_states_during` for the shape.
        """
        await self.async_flush()
        ids = list(self._writer.metadata_ids) if entity_ids is None else entity_ids
        return await async_states_during(
            self._require_db(), self.node, ids, _ts(start), _end_ts(end)
        )

    async def async_events(
        self, event_types: list[str] | None, start: datetime, end: datetime | None = None
    ) -> list[dict[str, Any]]:
        """Recorded events (not `state_changed`) in [start, end), oldest first."""
        await self.async_flush()
        db = self._require_db()
        return await async_events_during(db, self.node, event_types, _ts(start), _end_ts(end))

    async def async_statistics(
        self, entity_ids: list[str], start: datetime, end: datetime | None = None
    ) -> dict[str, list[dict[str, Any]]]:
        """Hourly rows {"start", "mean", "min", "max"} for hours starting in [start, end)."""
        db = self._require_db()
        return await async_statistics_during(db, self.node, entity_ids, _ts(start), _end_ts(end))

    # -- statistics and purge -------------------------------------------------------------

    def _arm_statistics(self) -> None:
        """Compile STATISTICS_DELAY after the current hour ends (or this one, if just begun)."""
        now = self._hub.scheduler.timestamp()
        due = hour_start(now - STATISTICS_DELAY) + HOUR + STATISTICS_DELAY
        self._cancel_statistics = self._hub.scheduler.async_call_at(
            datetime.fromtimestamp(due, UTC), self._on_statistics_timer
        )

    def _on_statistics_timer(self, _now: datetime) -> Coroutine[Any, Any, None]:
        self._arm_statistics()
        return self.async_compile_statistics()

    async def async_compile_statistics(self) -> None:
        """Compile every hour that has ended since the last run (at most keep_days back)."""
        async with self._lock:
            if self._db is None:
                return
            await self._async_write_queue()
            end = hour_start(self._hub.scheduler.timestamp() - STATISTICS_DELAY)
            try:
                last = await async_last_run(self._db, self.node)
                hour = end - HOUR
                if last is not None:
                    hour = max(last + HOUR, end - self.config.keep_days * DAY)
                while hour < end:
                    await self._async_compile_hour(self._db, hour)
                    hour += HOUR
            except DatabaseError:
                _LOGGER.exception("Could not compile statistics in %s", self._db.label)

    async def _async_compile_hour(self, db: Database, hour: float) -> None:
        rows = await async_fetch_hour(db, self.node, hour)
        stats = await self._hub.async_add_executor_job(compile_hour, rows, hour) if rows else []
        await async_save_hour(db, self.node, hour, stats)

    def _arm_purge(self) -> None:
        """Purge next at `purge_time` in the hub's time zone."""
        zone = self._hub.time_zone
        now = self._hub.scheduler.utcnow().astimezone(zone)
        due = datetime.combine(now.date(), self.config.purge_time, tzinfo=zone)
        if due <= now:
            due = datetime.combine(
                now.date() + timedelta(days=1), self.config.purge_time, tzinfo=zone
            )
        self._cancel_purge = self._hub.scheduler.async_call_at(due, self._on_purge_timer)

    def _on_purge_timer(self, _now: datetime) -> Coroutine[Any, Any, None]:
        self._arm_purge()
        return self._async_scheduled_purge()

    async def _async_scheduled_purge(self) -> None:
        try:
            await self.async_purge(self.config.keep_days)
        except DatabaseError:
            _LOGGER.exception("Could not purge %s", self.config.target_label)

    async def async_purge(self, keep_days: int) -> None:
        """Delete states and events older than `keep_days` (statistics: a year) now."""
        now = self._hub.scheduler.timestamp()
        async with self._lock:
            db = self._require_db()
            deleted = await async_purge(
                db, self.node, now - keep_days * DAY, now - STATISTICS_KEEP_DAYS * DAY
            )
            await self._writer.async_load(db)
        _LOGGER.info(
            "Purged %d rows older than %d days from %s",
            deleted,
            keep_days,
            self.config.target_label,
        )
