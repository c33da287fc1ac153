"""Keeping the hub's resident memory down where glibc would hold on to freed pages.

glibc's malloc gives each thread that allocates its own arena (up to eight per core)
and keeps the freed pages of each for later. The hub's worker threads read plates,
render demo frames and encode JPEGs, each with tens of megabytes of short-lived
buffers, so without a limit the process keeps the sum of every thread's worst moment.
Both calls are no-ops where there is no glibc.
"""

from __future__ import annotations

import contextlib
import ctypes
from typing import Final

__all__ = ["limit_malloc_arenas", "release_memory"]

# mallopt's M_ARENA_MAX; two arenas keep threads from contending much.
_M_ARENA_MAX: Final = -8
MALLOC_ARENAS: Final = 2


def _libc() -> ctypes.CDLL | None:
    try:
        return ctypes.CDLL("libc.so.6")
    except OSError:
        return None


_LIBC = _libc()


def limit_malloc_arenas(arenas: int = MALLOC_ARENAS) -> bool:
    """Cap glibc's malloc arenas; call before threads start. True when it took effect."""
    if _LIBC is None:
        return False
    with contextlib.suppress(AttributeError):
        return bool(_LIBC.mallopt(_M_ARENA_MAX, arenas))
    return False


def release_memory() -> None:
    """Hand the free pages at the top of malloc's heaps back to the OS (a millisecond or
    so); for after a large burst of temporary buffers, such as one plate read."""
    if _LIBC is not None:
        with contextlib.suppress(AttributeError):
            _LIBC.malloc_trim(0)
