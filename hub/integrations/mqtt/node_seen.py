"""The event ids a central hub has handled from one node, kept across a restart.

Why on disk: paho acknowledges a QoS 1 message only after the handler returns. A central
killed with -9 after firing an event but before its PUBACK reached the broker gets that
event again from the persistent session; with the ids only in memory, the restarted
central fired it twice (a second parking session, a second barrier opening).

Why an append-only file written on the loop: the id must be on record *before* the event
is fired, in the same callback, or a kill between the two doubles it again. One
`os.write` to an `O_APPEND` file is a single syscall of a few microseconds with no fsync:
the kernel keeps it when the process is killed (it is lost only with the machine's power,
docs/nodes.md). Handing it to a thread would open exactly the gap this closes.

Bounded by two segments: `<node>.0` and `<node>.1` each take up to `limit` ids; when the
current one is full, the older one is emptied and becomes current. So the last `limit`
to `2 * limit` ids are remembered, and nothing is ever rewritten in place.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from pathlib import Path
from typing import Final

__all__ = ["SeenIds"]

_SEGMENTS: Final = 2


class SeenIds:
    """Event ids from one node, remembered in memory and in `<folder>/<node>.<n>`."""

    def __init__(self, folder: Path, node: str, limit: int) -> None:
        self._folder = folder
        self._node = node
        self._limit = limit
        self._ids: OrderedDict[str, None] = OrderedDict()
        self._current = 0
        self._count = 0  # ids in the current segment
        self._fd: int | None = None

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

    def _remember(self, event_id: str) -> None:
        self._ids[event_id] = None
        if len(self._ids) > _SEGMENTS * self._limit:
            self._ids.popitem(last=False)

    def __contains__(self, event_id: object) -> bool:
        return event_id in self._ids

    def add(self, event_id: str) -> None:
        """Record `event_id` as handled, on disk before this returns (the caller fires the
        event after). Ids are one line each: a newline in one is replaced."""
        event_id = event_id.replace("\n", " ")
        self._remember(event_id)
        if self._fd is None:
            return
        if self._count >= self._limit:
            self._rotate()
        os.write(self._fd, f"{event_id}\n".encode())
        self._count += 1

    def _rotate(self) -> None:
        # Truncating the older segment is one syscall too; what it held is past the bound.
        assert self._fd is not None
        os.close(self._fd)
        self._current = (self._current + 1) % _SEGMENTS
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_TRUNC
        self._fd = os.open(self._path(self._current), flags, 0o600)
        self._count = 0

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
