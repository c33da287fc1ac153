"""Appends to a file that reach the disk in batches: many writes, one fsync.

Why: a node appends one line per message (an event in the worker's outbox, an event id
at the central), hundreds a second when busy, and an fsync costs a millisecond or more.
Each append is one `os.write` on the loop (a few microseconds; a kill -9 keeps it, the
kernel has it); an fsync in a worker thread then covers every write made before it
started, so the writes of one gathering window share it. One fsync runs at a time, so
the latency is bounded by the window, the fsync in flight and the next one.

A file replaced or started (a rotated segment, a compacted outbox) is a write too: the
old descriptor is fsynced and closed, and the folder fsynced when a new name appeared,
by the next sync, after its last appends.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from pathlib import Path

from .hub import ExecutorJob

__all__ = ["GroupFsync", "fsync_dir"]


def fsync_dir(folder: Path) -> None:
    """Make a file created or renamed in `folder` survive a power cut (blocking)."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class GroupFsync:
    """The descriptor a store appends to, and the batched fsync of what it appended.

    Without `run_blocking` (a store used outside a hub, in tests) nothing is fsynced and
    `async_durable` returns at once. `batch`: this many writes waiting end the gathering
    window early (a replayed backlog the caller is waiting on); None: always the window.
    """

    def __init__(
        self, folder: Path, run_blocking: ExecutorJob | None, gather: float, batch: int | None
    ) -> None:
        self._folder = folder
        self._run_blocking = run_blocking
        self._gather = gather
        self._batch = batch
        self.fd: int | None = None
        self._written = 0
        self._durable = 0
        self._syncing: asyncio.Future[None] | None = None
        self._batch_full = asyncio.Event()
        self._retired: list[int] = []  # replaced descriptors, fsynced and closed by a sync
        self._new_name = False

    @property
    def pending(self) -> bool:
        """Whether `async_durable` has an fsync to wait for."""
        return (
            self._run_blocking is not None and self.fd is not None and self._durable < self._written
        )

    def open(self, path: Path, flags: int, *, new_name: bool) -> None:
        """Append to `path` from now on (`new_name`: its directory entry was just made)."""
        fd = os.open(path, flags, 0o600)
        if self.fd is not None:
            self._retired.append(self.fd)
            self._wrote()
        self.fd = fd
        self._new_name = self._new_name or new_name

    def write(self, data: bytes) -> None:
        """Append `data` (durable once `async_durable` returns)."""
        if self.fd is None:
            return
        os.write(self.fd, data)
        self._wrote()

    def _wrote(self) -> None:
        self._written += 1
        if self._batch is not None and self._written - self._durable >= self._batch:
            self._batch_full.set()

    async def async_durable(self) -> None:
        """Wait until everything written before this call is on disk for good."""
        target = self._written
        while self.pending and self._durable < target:
            if self._syncing is None:
                self._syncing = asyncio.ensure_future(self._sync())
            await asyncio.shield(self._syncing)

    async def _sync(self) -> None:
        if self._batch is None or self._written - self._durable < self._batch:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._gather):
                    await self._batch_full.wait()
        self._batch_full.clear()
        upto = self._written
        fd, retired, new_name = self.fd, self._retired, self._new_name
        self._retired, self._new_name = [], False
        assert self._run_blocking is not None

        def sync() -> None:
            for old in retired:
                os.fsync(old)
                os.close(old)
            if fd is not None:
                os.fsync(fd)
            if new_name:
                fsync_dir(self._folder)

        try:
            await self._run_blocking(sync)
            self._durable = max(self._durable, upto)
        finally:
            self._syncing = None

    def close(self) -> None:
        """Close the descriptors (after the last `async_durable` has returned)."""
        for fd in self._retired:
            os.close(fd)
        self._retired = []
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None
