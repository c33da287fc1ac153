"""The event ids a central hub has handled from one node, kept across a restart and a
power cut.

Why on disk: a broker delivers a QoS 1 message again when its acknowledgement did not
arrive, and a central killed with -9 before acknowledging gets the event again from its
persistent session. An id is recorded here only after what the event caused is committed
(node_mirror.py), and the message is acknowledged only after the id is on disk, so:
killed before the record, the event comes again and is handled again (its stored effects
are idempotent by the event id: parking); killed after, the redelivery is dropped here.

Why an append-only file: each id is one `os.write` on the loop, and `async_record` waits
for a group commit (hub/core/group_fsync.py) that many ids share.

Bounded by two segments: `<node>.0` and `<node>.1` each take up to `limit` ids; when the
current one is full, the older one is emptied and becomes current. So the last `limit`
to `2 * limit` ids are remembered, and nothing is ever rewritten in place.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from pathlib import Path
from typing import Final

from hub.core.group_fsync import GroupFsync, fsync_dir
from hub.core.hub import ExecutorJob

__all__ = ["SeenIds"]

_SEGMENTS: Final = 2
# How long a commit gathers ids before its fsync: more ids share one (an fsync costs the
# central far more CPU than the wait costs latency; events are fired before, only their
# acknowledgement waits).
SYNC_GATHER: Final = 0.05
# ...unless this many wait already (a replayed backlog: the broker sends only so many
# unacknowledged messages at once, Mosquitto 20 by default).
SYNC_BATCH: Final = 16
_APPEND: Final = os.O_WRONLY | os.O_APPEND | os.O_CREAT


class SeenIds:
    """Event ids from one node, remembered in memory and in `<folder>/<node>.<n>`."""

    def __init__(
        self, folder: Path, node: str, limit: int, run_blocking: ExecutorJob | None = None
    ) -> None:
        self._folder = folder
        self._node = node
        self._limit = limit
        self._ids: OrderedDict[str, None] = OrderedDict()
        self._current = 0
        self._count = 0  # ids in the current segment
        self._file = GroupFsync(folder, run_blocking, SYNC_GATHER, SYNC_BATCH)

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
        self._file.open(self._path(self._current), _APPEND, new_name=False)
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
        if self._file.fd is None:
            return
        if self._count >= self._limit:
            # Truncating the older segment is one syscall; what it held is past the bound.
            self._current = (self._current + 1) % _SEGMENTS
            self._file.open(self._path(self._current), _APPEND | os.O_TRUNC, new_name=True)
            self._count = 0
        self._file.write(f"{event_id}\n".encode())
        self._count += 1

    async def async_record(self, event_id: str) -> None:
        """`add`, then wait until the id is on disk for good (a power cut keeps it)."""
        self.add(event_id)
        await self._file.async_durable()

    def close(self) -> None:
        """Close the files (after the last `async_record` has returned)."""
        self._file.close()
