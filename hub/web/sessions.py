"""Panel login sessions (the cookie) and the login rate limiter.

A session is a random id in an HttpOnly, SameSite=Strict cookie, and a CSRF token the
panel reads from `GET /auth/session` and sends back as `X-CSRF-Token` on every request
that changes something (double submit: a page on another site can make the browser send
the cookie, never read the token). Sessions live in memory: a restart logs everyone out,
which is the safe direction, and nothing about them is on disk to steal.

The limiter counts failed logins per client address and per user name in a sliding
minute. After `MAX_FAILURES` the key is blocked for a while that doubles with each
block (1 minute, 2, 4 ... at most 15) and is forgotten after an hour of quiet, so an
attacker cannot lock a user out for good, only slow themselves down.
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

__all__ = [
    "COOKIE_NAME",
    "CSRF_HEADER",
    "LoginLimiter",
    "LoginSession",
    "SessionStore",
]

COOKIE_NAME: Final = "parkhub_session"
CSRF_HEADER: Final = "X-CSRF-Token"
# A session unused this long is gone; each use moves its end.
SESSION_IDLE: Final = 14 * 24 * 3600.0
MAX_SESSIONS: Final = 10_000

MAX_FAILURES: Final = 5
WINDOW: Final = 60.0
FIRST_BLOCK: Final = 60.0
MAX_BLOCK: Final = 15 * 60.0
FORGET_AFTER: Final = 3600.0

Clock = Callable[[], float]


@dataclass(slots=True)
class LoginSession:
    id: str
    user_id: str
    csrf: str
    expires: float
    # The user's password hash at login: a password changed elsewhere (the CLI) ends it.
    stamp: str = ""


class SessionStore:
    """Login sessions by cookie value; monotonic time, since this is not hub time."""

    def __init__(self, clock: Clock = time.monotonic) -> None:
        self._sessions: dict[str, LoginSession] = {}
        self._clock = clock

    def create(self, user_id: str, stamp: str = "") -> LoginSession:
        now = self._clock()
        if len(self._sessions) >= MAX_SESSIONS:
            self._sweep(now)
            if len(self._sessions) >= MAX_SESSIONS:  # evict the one nearest its end
                oldest = min(self._sessions.values(), key=lambda item: item.expires)
                del self._sessions[oldest.id]
        session = LoginSession(
            secrets.token_urlsafe(32),
            user_id,
            secrets.token_urlsafe(32),
            now + SESSION_IDLE,
            stamp,
        )
        self._sessions[session.id] = session
        return session

    def get(self, session_id: str) -> LoginSession | None:
        """The live session for a cookie value (its idle end moved on), or None."""
        session = self._sessions.get(session_id)
        if session is None:
            return None
        now = self._clock()
        if session.expires <= now:
            del self._sessions[session_id]
            return None
        session.expires = now + SESSION_IDLE
        return session

    def remove(self, session_id: str) -> LoginSession | None:
        return self._sessions.pop(session_id, None)

    def remove_user(self, user_id: str, keep: str | None = None) -> list[str]:
        """End every session of a user (removed, or their password changed) but `keep`."""
        gone = [
            sid for sid, item in self._sessions.items() if item.user_id == user_id and sid != keep
        ]
        for sid in gone:
            del self._sessions[sid]
        return gone

    def is_live(self, session_id: str, stamp: str | None = None) -> bool:
        """Whether a session still stands (and, given `stamp`, was made with it)."""
        session = self._sessions.get(session_id)
        if session is None or session.expires <= self._clock():
            return False
        return stamp is None or session.stamp == stamp

    def restamp(self, session_id: str, stamp: str) -> None:
        if (session := self._sessions.get(session_id)) is not None:
            session.stamp = stamp

    def _sweep(self, now: float) -> None:
        for sid in [sid for sid, item in self._sessions.items() if item.expires <= now]:
            del self._sessions[sid]

    @staticmethod
    def csrf_ok(session: LoginSession, sent: str | None) -> bool:
        return sent is not None and hmac.compare_digest(session.csrf, sent)


@dataclass(slots=True)
class _Record:
    failures: deque[float] = field(default_factory=deque)
    blocked_until: float = 0.0
    blocks: int = 0
    last: float = 0.0


class LoginLimiter:
    """Failed attempts per key (`addr:<ip>`, `user:<name>`); see the module docstring."""

    def __init__(self, clock: Clock = time.monotonic) -> None:
        self._records: dict[str, _Record] = {}
        self._clock = clock

    def retry_after(self, *keys: str) -> float:
        """Seconds until every key may try again; 0 when none is blocked."""
        now = self._clock()
        wait = 0.0
        for key in keys:
            record = self._records.get(key)
            if record is not None:
                wait = max(wait, record.blocked_until - now)
        return wait

    def failed(self, *keys: str) -> float:
        """Count a failure for each key; the block it caused (0 when none)."""
        now = self._clock()
        self._forget(now)
        wait = 0.0
        for key in keys:
            record = self._records.setdefault(key, _Record())
            if now - record.last > FORGET_AFTER:  # an hour of quiet: start afresh
                record.failures.clear()
                record.blocks = 0
            record.last = now
            failures = record.failures
            failures.append(now)
            while failures and failures[0] <= now - WINDOW:
                failures.popleft()
            if len(failures) >= MAX_FAILURES:
                block = min(FIRST_BLOCK * 2**record.blocks, MAX_BLOCK)
                record.blocks += 1
                record.blocked_until = now + block
                failures.clear()
            wait = max(wait, record.blocked_until - now)
        return wait

    def succeeded(self, *keys: str) -> None:
        for key in keys:
            self._records.pop(key, None)

    def _forget(self, now: float) -> None:
        if len(self._records) < 1024:
            return
        for key in [k for k, r in self._records.items() if now - r.last > FORGET_AFTER]:
            del self._records[key]
        # Still full of live attackers: forget the quietest half rather than grow forever.
        if len(self._records) > 100_000:
            for key in sorted(self._records, key=lambda k: self._records[k].last)[:50_000]:
                del self._records[key]
