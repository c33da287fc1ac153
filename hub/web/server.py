"""The HTTP connection layer's guards, below the application (finding 11 and 13).

aiohttp waits forever for a request's headers: 200 half-sent requests once stayed open
92 s, each holding a socket and a buffer. Here every connection is handled by
`GuardedRequestHandler`, which

- closes a connection whose request headers are not complete `HEADER_TIMEOUT` seconds
  after its first byte (or after it opened), answering 408 with the API's JSON error,
  and one that has not authenticated and sits idle that long after a request (else a
  client could hold a slot of the cap with one 401 and a kept-alive socket);
- refuses a new connection (503, JSON) while `MAX_UNAUTHENTICATED` connections are open
  that have not yet made an authenticated request. A connection counts until a request
  on it ends with `request[AUTH_KEY]` set (the error middleware calls
  `mark_authenticated`), or its WebSocket handshake succeeds;
- answers the errors aiohttp raises before any middleware runs (a malformed request, a
  request line or header over its limit) with the same `{"error": ...}` JSON as every
  other error, instead of aiohttp's plain text.

The request line limit is raised to `MAX_REQUEST_LINE` so that a URL between 8 KB and that
size reaches the application and gets a 414 naming the limit (`check_url_length`).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Final

from aiohttp import web
from aiohttp.http_exceptions import LineTooLong
from aiohttp.web_protocol import RequestHandler

from hub.core.json import json_bytes

__all__ = [
    "HEADER_TIMEOUT",
    "MAX_UNAUTHENTICATED",
    "MAX_URL_LENGTH",
    "ConnectionGuard",
    "HubAppRunner",
    "mark_authenticated",
    "url_too_long",
]

_LOGGER = logging.getLogger(__name__)

HEADER_TIMEOUT: Final = 10.0
MAX_UNAUTHENTICATED: Final = 256
MAX_URL_LENGTH: Final = 8 * 1024
MAX_REQUEST_LINE: Final = 64 * 1024
_REASONS: Final = {
    400: "Bad Request",
    408: "Request Timeout",
    413: "Payload Too Large",
    414: "URI Too Long",
    431: "Request Header Fields Too Large",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


def _raw_json_response(status: int, message: str) -> bytes:
    """A whole HTTP/1.1 response for a connection that never reached the application."""
    body = json_bytes({"error": message})
    head = (
        f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    return head.encode() + body


class ConnectionGuard:
    """The connections of one server that have not authenticated yet."""

    def __init__(self, limit: int = MAX_UNAUTHENTICATED, timeout: float = HEADER_TIMEOUT) -> None:
        self.limit = limit
        self.timeout = timeout
        self.unauthenticated: set[GuardedRequestHandler] = set()
        self.refused = 0
        self.timed_out = 0


class GuardedRequestHandler(RequestHandler):
    """aiohttp's connection handler with a header timeout and the unauthenticated cap."""

    def __init__(self, manager: web.Server, guard: ConnectionGuard, **kwargs: Any) -> None:
        super().__init__(manager, **kwargs)
        self._guard = guard
        self._header_timer: asyncio.TimerHandle | None = None
        self._partial = False  # bytes of a request whose headers are not complete yet

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        guard = self._guard
        if len(guard.unauthenticated) >= guard.limit:
            guard.refused += 1
            if guard.refused == 1 or guard.refused % 100 == 0:
                _LOGGER.warning(
                    "Refused a connection: %d connections are open without having "
                    "authenticated (%d refused so far)",
                    guard.limit,
                    guard.refused,
                )
            assert isinstance(transport, asyncio.Transport)
            transport.write(
                _raw_json_response(503, "too many unauthenticated connections, retry later")
            )
            transport.close()
            return
        super().connection_made(transport)
        guard.unauthenticated.add(self)
        self._start_header_timer()

    def connection_lost(self, exc: BaseException | None) -> None:
        self._guard.unauthenticated.discard(self)
        self._stop_header_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        before = self._request_count
        super().data_received(data)
        if self._request_count > before:  # a request's headers are complete
            self._partial = False
            self._stop_header_timer()
            if self in self._guard.unauthenticated:
                self._start_header_timer()  # not authenticated: idle for 10 s at most
            return
        waiting_for_headers = (
            data
            and self._current_request is None
            and not self._messages
            and not self._upgraded
            and self._payload_parser is None
        )
        if waiting_for_headers:
            self._partial = True
            if self._header_timer is None:
                self._start_header_timer()

    def authenticated(self) -> None:
        self._guard.unauthenticated.discard(self)

    def _start_header_timer(self) -> None:
        self._header_timer = self._loop.call_later(self._guard.timeout, self._headers_late)

    def _stop_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_late(self) -> None:
        """Headers incomplete for 10 s, or a connection that never authenticated idle for
        10 s: close it (a request being handled is waited for, and looked at again)."""
        self._header_timer = None
        unauthenticated = self in self._guard.unauthenticated
        if not (self._partial or unauthenticated):
            return  # authenticated and idle: aiohttp's keep-alive timeout decides
        if self._current_request is not None or self._messages:
            self._start_header_timer()
            return
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        if self._partial or self._request_count == 0:
            self._guard.timed_out += 1
            message = f"request headers not received within {self._guard.timeout:.0f} s"
            assert isinstance(transport, asyncio.Transport)
            transport.write(_raw_json_response(408, message))
        self.force_close()
        transport.close()

    def handle_error(
        self,
        request: Any,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        """aiohttp's own errors (bad request line, header too long) in the API's JSON shape."""
        if status >= 500:
            _LOGGER.error("Error handling a request", exc_info=exc)
            text = "internal error"
        else:
            _LOGGER.debug("Bad request from %s: %s", request.remote, message or exc)
            text = message or (str(exc) if exc else "bad request")
            if isinstance(exc, LineTooLong):
                if exc.args[1] == MAX_REQUEST_LINE:
                    status, text = 414, f"the URL is longer than {MAX_URL_LENGTH} bytes"
                else:
                    status, text = 431, "a request header is too long (8190 bytes at most)"
        response = web.Response(
            status=status, body=json_bytes({"error": text}), content_type="application/json"
        )
        response.force_close()
        return response


class _GuardedServer(web.Server):
    def __init__(self, guard: ConnectionGuard, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._guard = guard

    def __call__(self) -> RequestHandler:
        return GuardedRequestHandler(self, self._guard, loop=self._loop, **self._kwargs)


class HubAppRunner(web.AppRunner):
    """An AppRunner whose connections go through `GuardedRequestHandler`."""

    def __init__(self, app: web.Application, guard: ConnectionGuard, **kwargs: Any) -> None:
        super().__init__(app, max_line_size=MAX_REQUEST_LINE, **kwargs)
        self.guard = guard

    async def _make_server(self) -> web.Server:
        plain = await super()._make_server()
        return _GuardedServer(
            self.guard,
            plain.request_handler,
            request_factory=plain.request_factory,
            loop=asyncio.get_running_loop(),
            **plain._kwargs,
        )


def mark_authenticated(request: web.BaseRequest) -> None:
    """A request on this connection carried valid credentials: it no longer counts."""
    protocol = request.protocol
    if isinstance(protocol, GuardedRequestHandler):
        protocol.authenticated()


def url_too_long(request: web.BaseRequest) -> bool:
    return len(request.raw_path) > MAX_URL_LENGTH
