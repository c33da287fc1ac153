"""A worker's node events kept on disk while it has no broker, sent when it is back.

Why not the client's QoS 1 queue alone: it is in memory, so a worker restarted (or
killed) during a broker outage lost the plate reads it had made meanwhile. Here each
event published while disconnected is one line appended to `<data>/mqtt_nodes/outbox`
(one `os.write`, no fsync: it survives the process dying, not the machine losing power)
and kept in memory too, so sending needs no read from disk. On the next connect, before
any newer event, all of them go to the client oldest first and the file is emptied.

Bounded: at most `limit` events; when full, newer events are dropped with a warning
(dropping the oldest would need a rewrite of the file on the loop). Gate commands are
not in it: those travel the other way and carry a deadline (node_worker.py).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from hub.core.files import write_atomically

__all__ = ["Outbox"]

_LOGGER = logging.getLogger(__name__)


class Outbox:
    """Event payloads waiting for the broker, in order, in memory and in one file."""

    def __init__(self, path: Path, limit: int) -> None:
        self._path = path
        self._limit = limit
        self._waiting: list[bytes] = []
        self._fd: int | None = None
        self.dropped = 0

    def __len__(self) -> int:
        return len(self._waiting)

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
        self._waiting = [line for line in lines if line.endswith(b"}")][: self._limit]
        if len(self._waiting) != len(lines) or (content and not content.endswith(b"\n")):
            write_atomically(self._path, b"".join(line + b"\n" for line in self._waiting))
        self._fd = os.open(self._path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)

    def add(self, payload: bytes) -> None:
        """Keep `payload` (compact JSON, one line) until `take`."""
        if len(self._waiting) >= self._limit:
            self.dropped += 1
            _LOGGER.warning(
                "Node outbox full (%d events): dropped an event while the broker is away",
                self._limit,
            )
            return
        self._waiting.append(payload)
        if self._fd is not None:
            os.write(self._fd, payload + b"\n")

    def take(self) -> list[bytes]:
        """All waiting events, oldest first; the file is emptied (the caller hands them to
        the connected client at once)."""
        waiting, self._waiting = self._waiting, []
        if waiting and self._fd is not None:
            os.ftruncate(self._fd, 0)
        return waiting

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
