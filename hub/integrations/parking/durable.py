"""An attendant's answer means committed: a parking service returns only after the rows
it changed are in `parking.db` (finding 12: `end_session` answered 200, and a kill -9 a
millisecond later lost the change).

Sessions and reservations are saved by tasks (`ParkingManager._save`,
`ReservationBook._save`), so the plate listener never waits on the disk. A service call
runs its handler inside `async_committed`, which collects the save tasks the handler
started (through a context variable the `_save`s report to) and awaits them before the
answer goes out; a save that failed turns the answer into an error.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Any, TypeVar

from hub.core.exceptions import HubError
from hub.core.services import ServiceCall

__all__ = ["async_committed", "committed", "report_write"]

_LOGGER = logging.getLogger(__name__)
_T = TypeVar("_T")

_writes: ContextVar[list[asyncio.Future[Any]] | None] = ContextVar("parking_writes", default=None)


def report_write(task: asyncio.Future[Any]) -> None:
    """A save started: a service running now waits for it before answering."""
    pending = _writes.get()
    if pending is not None:
        pending.append(task)


async def async_committed(run: Callable[[], Awaitable[_T] | _T]) -> _T:
    """Run `run()` and wait until every save it started is committed."""
    pending: list[asyncio.Future[Any]] = []
    token = _writes.set(pending)
    try:
        result = run()
        if isinstance(result, Awaitable):
            result = await result
    finally:
        _writes.reset(token)
    if pending:
        outcomes = await asyncio.gather(
            *(asyncio.shield(task) for task in pending), return_exceptions=True
        )
        failed = [outcome for outcome in outcomes if isinstance(outcome, BaseException)]
        if failed:
            raise HubError(f"the change could not be saved to parking.db: {failed[0]}")
    return result


def committed(
    handler: Callable[[ServiceCall], Awaitable[_T] | _T],
) -> Callable[[ServiceCall], Awaitable[_T]]:
    """A service handler that answers only once its changes are committed."""

    async def run(call: ServiceCall) -> _T:
        return await async_committed(lambda: handler(call))

    run.__doc__ = handler.__doc__
    return run
