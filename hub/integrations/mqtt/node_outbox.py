"""A worker's node events on disk until the broker has acknowledged them.

Why every event, not only those made while the broker is away: an event handed to the
client in the moment before it notices a dead connection, or waiting for its PUBACK, is
only in memory; a worker killed with -9 then lost it. Here each event is first appended
to `<data>/mqtt_nodes/outbox` (one `os.write` on the loop: a kill keeps it), fsynced in
batches (at most FSYNC_DELAY after the append, in a worker thread: a power cut keeps what
was fsynced), and forgotten only when the broker's PUBACK for it arrives. When nothing
waits, the file is emptied. A worker started again sends everything the file holds,
oldest first; what the broker had already taken is dropped by the central by its id.

Only events: state updates are not kept here because the latest state supersedes the
earlier ones. They are retained messages, republished in full after every connect, so
the central gets the latest state of each entity after an outage (not each change made
during it: the central's history shows the jump).

Bounded: at most `limit` events wait. When full, the *newest* event is dropped: the
ones waiting are older and some of them start what a newer one ends (an entry and then
its exit), and dropping at the head would need a rewrite of the file on the loop. Drops
are counted (`dropped`; the worker shows them as `sensor.outbox_dropped`, mirrored by
the central as `sensor.<node>_outbox_dropped`) and logged as warnings.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from pathlib import Path
from typing import Final

from hub.core.files import write_atomically
from hub.core.group_fsync import GroupFsync, fsync_dir
from hub.core.hub import ExecutorJob

__all__ = ["FSYNC_DELAY", "Outbox"]

_LOGGER = logging.getLogger(__name__)

# The longest an accepted event stays un-fsynced (plus one fsync's time).
FSYNC_DELAY: Final = 0.05
# A full outbox warns at most this often (each warning gives the count so far).
WARN_INTERVAL: Final = 60.0
# A file that never empties (a steady stream, always something in flight) is rewritten
# with only what waits once this many times `limit` lines were appended, when few wait.
COMPACT_AFTER: Final = 4
COMPACT_WAITING: Final = 100


class Outbox:
    """Event payloads not yet acknowledged by the broker, in order, in memory and on disk."""

    def __init__(
        self,
        path: Path,
        limit: int,
        run_blocking: ExecutorJob | None = None,
        name: str = "",
    ) -> None:
        self._path = path
        self._limit = limit
        self._name = name
        self._waiting: OrderedDict[int, bytes] = OrderedDict()
        self._unsent: deque[int] = deque()  # waiting, not yet handed to the client
        self._next = 0
        self._file = GroupFsync(path.parent, run_blocking, FSYNC_DELAY, None)
        self._appended = 0  # lines in the file
        self._syncing: asyncio.Task[None] | None = None
        self._last_warning = 0.0
        self.dropped = 0
        # Called after a drop (the worker's sensor).
        self.on_drop: Callable[[], None] | None = None

    def __len__(self) -> int:
        return len(self._waiting)

    @property
    def unsent(self) -> int:
        return len(self._unsent)

    def load(self) -> None:
        """Read what a previous run left and open the file (blocking: in the executor)."""
        self._path.parent.mkdir(parents=True, exist_ok=True)
        try:
            content = self._path.read_bytes()
        except FileNotFoundError:
            content = b""
        # A line cut short by a kill is not JSON's closing brace: skipped, and the file
        # rewritten without it, so the next append does not continue that line.
        lines = content.splitlines()
        # The newest: what was acknowledged is older than what was not.
        kept = [line for line in lines if line.endswith(b"}")][-self._limit :]
        if len(kept) != len(lines) or (content and not content.endswith(b"\n")):
            write_atomically(self._path, b"".join(line + b"\n" for line in kept))
        for payload in kept:
            self._keep(payload)
        self._appended = len(kept)
        self._file.open(self._path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, new_name=False)
        fsync_dir(self._path.parent)

    def _keep(self, payload: bytes) -> int:
        number = self._next
        self._next += 1
        self._waiting[number] = payload
        self._unsent.append(number)
        return number

    def add(self, payload: bytes) -> bool:
        """Keep `payload` (compact JSON, one line) until `acked`; False if it was dropped."""
        if len(self._waiting) >= self._limit:
            self._drop()
            return False
        self._keep(payload)
        if self._file.fd is not None:
            self._file.write(payload + b"\n")
            self._appended += 1
            self._schedule_sync()
        return True

    def _drop(self) -> None:
        self.dropped += 1
        now = time.monotonic()
        if self.dropped == 1 or now - self._last_warning >= WARN_INTERVAL:
            self._last_warning = now
            _LOGGER.warning(
                "Node %s: outbox full (%d events waiting for the broker): dropped the newest "
                "event; %d dropped so far",
                self._name,
                self._limit,
                self.dropped,
            )
        if self.on_drop is not None:
            self.on_drop()

    def take_unsent(self) -> list[tuple[int, bytes]]:
        """The events not yet handed to the client, oldest first (handed now)."""
        unsent, self._unsent = self._unsent, deque()
        return [(number, self._waiting[number]) for number in unsent if number in self._waiting]

    def requeue(self, numbers: list[int]) -> None:
        """These events could not be handed over after all: first in line again, in order."""
        self._unsent.extendleft(reversed([n for n in numbers if n in self._waiting]))

    def acked(self, number: int) -> None:
        """The broker has event `number`: forget it; an empty outbox empties its file."""
        gone = self._waiting.pop(number, None) is not None
        if not gone or self._file.fd is None:
            return
        if not self._waiting:
            # What was appended is all delivered; a truncation lost to a power cut only
            # sends them again (the central drops them by id).
            os.ftruncate(self._file.fd, 0)
            self._appended = 0
        elif self._appended > COMPACT_AFTER * self._limit and len(self._waiting) <= COMPACT_WAITING:
            self._compact()

    def _compact(self) -> None:
        """Rewrite the file with only what waits (rare, and small: on the loop)."""
        write_atomically(self._path, b"".join(p + b"\n" for p in self._waiting.values()))
        self._file.open(self._path, os.O_WRONLY | os.O_APPEND, new_name=True)
        self._appended = len(self._waiting)
        self._schedule_sync()

    # -- fsync in batches -----------------------------------------------------------------

    def _schedule_sync(self) -> None:
        """Fsync within FSYNC_DELAY of now, in the background: the caller does not wait
        (the broker's PUBACK, not the disk, decides when an event is done)."""
        if self._syncing is None and self._file.pending:
            self._syncing = asyncio.get_running_loop().create_task(self._async_sync())

    async def _async_sync(self) -> None:
        try:
            while self._file.pending:
                await self._file.async_durable()
        except OSError as err:
            _LOGGER.error("Node %s: cannot fsync the outbox: %s", self._name, err)
        finally:
            self._syncing = None

    async def async_flush(self) -> None:
        """Fsync now what was appended (at stop)."""
        if self._syncing is not None:
            await asyncio.wait({self._syncing})
        with contextlib.suppress(OSError):  # logged by the background sync
            await self._file.async_durable()

    def close(self) -> None:
        if self._syncing is not None:
            self._syncing.cancel()
            self._syncing = None
        self._file.close()
