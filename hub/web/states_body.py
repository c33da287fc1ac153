"""`GET /api/states`: one body per version of the state machine, gzip on request.

A lot's panel, its phones and a Home Assistant poller all ask for every state, and
between two changes the answer is the same bytes. So the joined JSON (each state's own
cached encoding, `State.as_json`) is kept until the state machine's `version` moves,
and its gzip form is made once per version, in a worker thread when it is large, for
the clients that accept it: 390 KB of states is about 25 KB on the lot's Wi-Fi.
Residents get their own body (availability only, the same for every resident), kept the
same way (`rest.RESIDENT_STATES_BODY_KEY`).
"""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import Callable, Iterable
from typing import Final

from aiohttp import web

from hub.core.hub import ExecutorJob
from hub.core.states import State

__all__ = ["GZIP_LEVEL", "StatesBody", "join_states", "respond", "wants_gzip"]

# Level 6 is zlib's default; level 1 is ~3x faster for a ~20% larger body. Measured in
# bench/api.py: the body is compressed once per change, so the better ratio wins.
GZIP_LEVEL: Final = 6
# Smaller bodies are compressed inline (well under a millisecond); larger ones in a thread.
_INLINE_GZIP: Final = 32 * 1024
_MIN_GZIP: Final = 1024


def join_states(states: Iterable[State]) -> bytes:
    return b"[" + b",".join([state.as_json() for state in states]) + b"]"


def _gzip(body: bytes) -> bytes:
    return gzip.compress(body, compresslevel=GZIP_LEVEL, mtime=0)


class StatesBody:
    """The last body built and the version it shows; its gzip form when asked for."""

    def __init__(self, executor_job: ExecutorJob) -> None:
        self._executor_job = executor_job
        self.version = -1
        self.body = b""
        self._gzipped: asyncio.Future[bytes] | None = None

    def get(self, version: int, states: Callable[[], Iterable[State]]) -> bytes:
        if version != self.version:
            self.version = version
            self.body = join_states(states())
            self._gzipped = None
        return self.body

    async def async_gzipped(self) -> bytes:
        """The current body compressed; concurrent askers share one compression."""
        if self._gzipped is None:
            body = self.body
            if len(body) <= _INLINE_GZIP:
                future: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
                future.set_result(_gzip(body))
            else:
                future = asyncio.ensure_future(self._executor_job(_gzip, body))
            self._gzipped = future
        return await asyncio.shield(self._gzipped)


def wants_gzip(request: web.Request) -> bool:
    return "gzip" in request.headers.get("Accept-Encoding", "").lower()


async def respond(
    request: web.Request, body: bytes, cache: StatesBody | None = None
) -> web.Response:
    """The JSON body, gzipped when the client accepts it and it is worth it."""
    headers = {"Vary": "Accept-Encoding"}
    if len(body) >= _MIN_GZIP and wants_gzip(request):
        if cache is not None and cache.body is body:
            body = await cache.async_gzipped()
        else:  # a resident's few availability states: small, compressed inline
            body = _gzip(body)
        headers["Content-Encoding"] = "gzip"
    return web.Response(body=body, content_type="application/json", headers=headers)
