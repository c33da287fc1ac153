"""Panel login sessions (the cookie) and the login rate limiter.

A session is a random id in an HttpOnly, SameSite=Strict cookie, and a CSRF token the
panel reads from `GET /auth/session` and sends back as `X-CSRF-Token` on every request
that changes something (double submit: a page on another site can make the browser send
the cookie, never read the token).

Sessions outlive a restart, so an update or a power cut does not sign every attendant
and resident out (their phones would all ask for passwords at once). What is kept in
`<data>/sessions.json` cannot sign anyone in: the cookie's SHA-256, never the cookie, and
a digest of the password hash the session was made with (a password changed while the
hub was down still ends it). Logins, logouts and revocations are written at once (the
route waits for the file); an idle end moved on by use only every SAVE_EVERY, which a
14-day idle limit does not notice. A file that cannot be read is logged and ignored:
everyone signs in again, the safe direction.

The limiter counts failed logins per client address and per user name in a sliding
minute. After `MAX_FAILURES` the key is blocked for a while that doubles with each
block (1 minute, 2, 4 ... at most 15) and is forgotten after an hour of quiet, so an
attacker cannot lock a user out for good, only slow themselves down.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import secrets
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from hub.core.files import read_json_list, write_atomically
from hub.core.hub import ExecutorJob
from hub.core.json import json_bytes

__all__ = [
    "COOKIE_NAME",
    "CSRF_HEADER",
    "SESSIONS_FILE",
    "LoginLimiter",
    "LoginSession",
    "SessionStore",
]

_LOGGER = logging.getLogger(__name__)

COOKIE_NAME: Final = "parkhub_session"
CSRF_HEADER: Final = "X-CSRF-Token"
SESSIONS_FILE: Final = "sessions.json"
# A session unused this long is gone; each use moves its end.
SESSION_IDLE: Final = 14 * 24 * 3600.0
MAX_SESSIONS: Final = 10_000
# Idle ends moved by use reach the file at most this often.
SAVE_EVERY: Final = 3600.0

MAX_FAILURES: Final = 5
WINDOW: Final = 60.0
FIRST_BLOCK: Final = 60.0
MAX_BLOCK: Final = 15 * 60.0
FORGET_AFTER: Final = 3600.0

Clock = Callable[[], float]


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(slots=True)
class LoginSession:
    id: str  # the cookie's digest: what is kept, logged and compared
    user_id: str
    csrf: str
    expires: float  # wall-clock seconds: it must mean the same after a restart
    # A digest of the user's password hash at login: a password changed elsewhere (the
    # CLI) ends it.
    stamp: str = ""

    def made_with(self, password_hash: str) -> bool:
        return hmac.compare_digest(self.stamp, _digest(password_hash))


class SessionStore:
    """Login sessions by cookie digest, in memory and (with `path`) in sessions.json."""

    def __init__(
        self,
        path: Path | None = None,
        run_blocking: ExecutorJob | None = None,
        clock: Clock = time.time,
    ) -> None:
        self._sessions: dict[str, LoginSession] = {}
        self._path = path
        self._run_blocking = run_blocking
        self._clock = clock
        self._saving: asyncio.Task[None] | None = None
        # Changes made, and changes in the file: a waiter waits for its own change only.
        self._version = 0
        self._saved_version = 0
        self._saved_at = clock()

    # -- the file ------------------------------------------------------------------------

    def load(self) -> None:
        """Read the sessions a previous run left (blocking: in the executor, at start)."""
        if self._path is None:
            return
        try:
            entries = read_json_list(self._path, "sessions")
        except ValueError as err:
            _LOGGER.warning("Login sessions not restored (everyone signs in again): %s", err)
            return
        now = self._clock()
        for entry in entries:
            try:
                session = LoginSession(
                    str(entry["id"]),
                    str(entry["user_id"]),
                    str(entry["csrf"]),
                    float(entry["expires"]),
                    str(entry["stamp"]),
                )
            except (KeyError, TypeError, ValueError):
                continue  # one damaged entry signs one browser out, nothing more
            if session.expires > now:
                self._sessions[session.id] = session

    def _changed(self) -> None:
        """Write the file soon, in the executor (one write at a time, the latest wins)."""
        self._version += 1
        if self._path is None or self._run_blocking is None or self._saving is not None:
            return
        self._saving = asyncio.get_running_loop().create_task(self._async_save())

    async def _async_save(self) -> None:
        assert self._path is not None
        assert self._run_blocking is not None
        try:
            while self._saved_version < self._version:
                version = self._version
                self._saved_at = self._clock()
                content = json_bytes(
                    {"sessions": [_as_entry(session) for session in self._sessions.values()]}
                )
                await self._run_blocking(write_atomically, self._path, content)
                self._saved_version = version
        except OSError as err:
            _LOGGER.error("Cannot save login sessions to %s: %s", self._path, err)
        finally:
            self._saving = None

    async def async_saved(self) -> None:
        """Wait until the file holds every change made so far (a logout, a revocation);
        a file that cannot be written is logged, not raised: the change holds in memory."""
        version = self._version
        while self._saving is not None and self._saved_version < version:
            await asyncio.shield(self._saving)

    # -- sessions ------------------------------------------------------------------------

    def create(self, user_id: str, stamp: str = "") -> tuple[str, LoginSession]:
        """A new session for `user_id`: the cookie value (never kept) and the session."""
        now = self._clock()
        if len(self._sessions) >= MAX_SESSIONS:
            self._sweep(now)
            if len(self._sessions) >= MAX_SESSIONS:  # evict the one nearest its end
                oldest = min(self._sessions.values(), key=lambda item: item.expires)
                del self._sessions[oldest.id]
        cookie = secrets.token_urlsafe(32)
        session = LoginSession(
            _digest(cookie), user_id, secrets.token_urlsafe(32), now + SESSION_IDLE, _digest(stamp)
        )
        self._sessions[session.id] = session
        self._changed()
        return cookie, session

    def get(self, cookie: str) -> LoginSession | None:
        """The live session for a cookie value (its idle end moved on), or None."""
        session = self._sessions.get(_digest(cookie))
        if session is None:
            return None
        now = self._clock()
        if session.expires <= now:
            del self._sessions[session.id]
            self._changed()
            return None
        session.expires = now + SESSION_IDLE
        if now - self._saved_at >= SAVE_EVERY:
            self._changed()
        return session

    def remove(self, session_id: str) -> LoginSession | None:
        session = self._sessions.pop(session_id, None)
        if session is not None:
            self._changed()
        return session

    def remove_user(self, user_id: str, keep: str | None = None) -> list[str]:
        """End every session of a user (removed, or their password changed) but `keep`."""
        gone = [
            sid for sid, item in self._sessions.items() if item.user_id == user_id and sid != keep
        ]
        for sid in gone:
            del self._sessions[sid]
        if gone:
            self._changed()
        return gone

    def is_live(self, session_id: str, stamp: str | None = None) -> bool:
        """Whether a session still stands (and, given `stamp`, was made with it)."""
        session = self._sessions.get(session_id)
        if session is None or session.expires <= self._clock():
            return False
        return stamp is None or session.made_with(stamp)

    def restamp(self, session_id: str, stamp: str) -> None:
        if (session := self._sessions.get(session_id)) is not None:
            session.stamp = _digest(stamp)
            self._changed()

    def _sweep(self, now: float) -> None:
        for sid in [sid for sid, item in self._sessions.items() if item.expires <= now]:
            del self._sessions[sid]

    @staticmethod
    def csrf_ok(session: LoginSession, sent: str | None) -> bool:
        return sent is not None and hmac.compare_digest(session.csrf, sent)


def _as_entry(session: LoginSession) -> dict[str, Any]:
    return {
        "id": session.id,
        "user_id": session.user_id,
        "csrf": session.csrf,
        "expires": round(session.expires),
        "stamp": session.stamp,
    }


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
