"""The event ids a central hub has handled from one node, kept across a restart and a
power cut.

Why on disk: a broker delivers a QoS 1 message again when its acknowledgement did not
arrive, and a central killed with -9 before acknowledging gets the event again from its
persistent session. An id is recorded here only after what the event caused is committed
(node_mirror.py), and the message is acknowledged only after the id is on disk, so:
killed before the record, the event comes again and is handled again (its stored effects
are idempotent by the event id: parking); killed after, the redelivery is dropped here.

Why an append-only file with group commit: each id is one `os.write` on the loop (a few
microseconds), and `async_record` waits for an `fsync` in a worker thread that covers
every id written before it started, so many ids share one fsync (bounded latency: the
gathering wait, one fsync in flight and the next). A new segment file gets its
directory fsynced too.

Bounded by two segments: `<node>.0` and `<node>.1` each take up to `limit` ids; when the
current one is full, the older one is emptied and becomes current. So the last `limit`
to `2 * limit` ids are remembered, and nothing is ever rewritten in place.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, Final

__all__ = ["SeenIds", "fsync_dir"]

_SEGMENTS: Final = 2
# How long a commit gathers ids before its fsync: more ids share one (an fsync costs the
# central far more CPU than the wait costs latency; events are fired before, only their
# acknowledgement waits).
SYNC_GATHER: Final = 0.05
# ...unless this many wait already (a replayed backlog: the broker sends only so many
# unacknowledged messages at once, Mosquitto 20 by default).
SYNC_BATCH: Final = 16

RunBlocking = Callable[[Callable[[], Any]], Awaitable[Any]]


def fsync_dir(folder: Path) -> None:
    """Make a file created or renamed in `folder` survive a power cut (blocking)."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class SeenIds:
    """Event ids from one node, remembered in memory and in `<folder>/<node>.<n>`."""

    def __init__(
        self, folder: Path, node: str, limit: int, run_blocking: RunBlocking | None = None
    ) -> None:
        self._folder = folder
        self._node = node
        self._limit = limit
        self._run_blocking = run_blocking
        self._ids: OrderedDict[str, None] = OrderedDict()
        self._current = 0
        self._count = 0  # ids in the current segment
        self._fd: int | None = None
        # Group commit: writes made, writes known durable, the fsync running now.
        self._written = 0
        self._durable = 0
        self._syncing: asyncio.Future[None] | None = None
        self._batch_full = asyncio.Event()
        self._retired: list[int] = []  # segments' fds rotated away, closed after a sync
        self._new_file = False

    def _path(self, segment: int) -> Path:
        return self._folder / f"{self._node}.{segment}"

    def load(self) -> None:
        """Read both segments, oldest first, and open the current one (blocking: run in
        the executor, before any event arrives)."""
        self._folder.mkdir(parents=True, exist_ok=True)
        found: list[tuple[float, int, list[str]]] = []
        for segment in range(_SEGMENTS):
            try:
                path = self._path(segment)
                lines = path.read_text(errors="replace").splitlines()
                found.append((path.stat().st_mtime, segment, lines))
            except FileNotFoundError:
                continue
        found.sort()
        for _mtime, _segment, lines in found:
            for line in lines:
                if line:
                    self._remember(line)
        if found:
            _mtime, self._current, lines = found[-1]
            self._count = len(lines)
        self._fd = os.open(self._path(self._current), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        fsync_dir(self._folder)

    def _remember(self, event_id: str) -> None:
        self._ids[event_id] = None
        if len(self._ids) > _SEGMENTS * self._limit:
            self._ids.popitem(last=False)

    def __contains__(self, event_id: object) -> bool:
        return event_id in self._ids

    def add(self, event_id: str) -> None:
        """Record `event_id` as handled: written (a kill keeps it) but not yet fsynced.
        Ids are one line each: a newline in one is replaced."""
        event_id = event_id.replace("\n", " ")
        self._remember(event_id)
        if self._fd is None:
            return
        if self._count >= self._limit:
            self._rotate()
        os.write(self._fd, f"{event_id}\n".encode())
        self._count += 1
        self._written += 1

    async def async_record(self, event_id: str) -> None:
        """`add`, then wait until the id is on disk for good (a power cut keeps it)."""
        self.add(event_id)
        target = self._written
        if target - self._durable >= SYNC_BATCH:
            self._batch_full.set()
        while self._durable < target and self._fd is not None and self._run_blocking:
            if self._syncing is None:
                self._syncing = asyncio.ensure_future(self._sync())
            await asyncio.shield(self._syncing)

    async def _sync(self) -> None:
        if self._written - self._durable < SYNC_BATCH:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(SYNC_GATHER):
                    await self._batch_full.wait()
        self._batch_full.clear()
        upto = self._written
        fd, retired, new_file = self._fd, self._retired, self._new_file
        self._retired, self._new_file = [], False
        assert self._run_blocking is not None

        def sync() -> None:
            for old in retired:
                os.fsync(old)
                os.close(old)
            if fd is not None:
                os.fsync(fd)
            if new_file:
                fsync_dir(self._folder)

        try:
            await self._run_blocking(sync)
            self._durable = max(self._durable, upto)
        finally:
            self._syncing = None

    def _rotate(self) -> None:
        # Truncating the older segment is one syscall; what it held is past the bound. The
        # old fd is closed by the next sync, after its last writes are fsynced.
        assert self._fd is not None
        self._retired.append(self._fd)
        self._current = (self._current + 1) % _SEGMENTS
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_TRUNC
        self._fd = os.open(self._path(self._current), flags, 0o600)
        self._count = 0
        self._new_file = True

    def close(self) -> None:
        """Close the files (after the last `async_record` has returned)."""
        for fd in self._retired:
            os.close(fd)
        self._retired = []
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
