"""Local stand-ins for the far sides that speak HTTP: a webhook receiver and Twilio."""

from __future__ import annotations

import asyncio
import base64
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from hub.core.json import json_loads


@dataclass
class Receiver:
    """A webhook endpoint that answers from a script of statuses, then 200.

    It remembers every request, and which idempotency keys it accepted (answered 2xx),
    as a real receiver that de-duplicates would.
    """

    statuses: list[int] = field(default_factory=list)
    hold: asyncio.Event | None = None  # when set: requests wait for it before answering
    requests: list[dict[str, Any]] = field(default_factory=list)
    accepted: list[str] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.requests.append({"headers": dict(request.headers), "body": body})
        self.arrived.set()
        if self.hold is not None:
            await self.hold.wait()
        status = self.statuses.pop(0) if self.statuses else 200
        if status < 300:
            key = request.headers.get("Idempotency-Key", "")
            if key not in self.accepted:
                self.accepted.append(key)
        return web.Response(status=status, text="busy" if status >= 500 else "ok")

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/hook", self.handle)
        return app

    def json(self, index: int) -> Any:
        return json_loads(self.requests[index]["body"])


@dataclass
class FakeTwilio:
    """Twilio's Messages endpoint: checks basic auth and the form, de-duplicates tokens."""

    sid: str = "AC0123456789abcdef"
    token: str = "tw-token"
    statuses: list[int] = field(default_factory=list)
    messages: list[dict[str, str]] = field(default_factory=list)
    tokens: list[str] = field(default_factory=list)
    attempts: int = 0

    async def handle(self, request: web.Request) -> web.Response:
        self.attempts += 1
        assert request.match_info["sid"] == self.sid
        expected = base64.b64encode(f"{self.sid}:{self.token}".encode()).decode()
        if request.headers.get("Authorization") != f"Basic {expected}":
            return web.json_response({"code": 20003, "message": "Authenticate"}, status=401)
        form = await request.post()
        if self.statuses:
            return web.json_response({"message": "busy"}, status=self.statuses.pop(0))
        to = str(form.get("To", ""))
        if not to.startswith("+"):
            return web.json_response(
                {"code": 21211, "message": f"The 'To' number {to} is not valid"},
                status=400,
            )
        token = request.headers.get("I-Twilio-Idempotency-Token", "")
        if token not in self.tokens:
            self.tokens.append(token)
            self.messages.append({key: str(value) for key, value in form.items()})
        return web.json_response({"sid": f"SM{len(self.messages)}", "status": "queued"}, status=201)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/2010-04-01/Accounts/{sid}/Messages.json", self.handle)
        return app
